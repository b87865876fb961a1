variable "kube_context" {
  description = "kubectl context to deploy into (minikube in hw2)."
  type        = string
  default     = "minikube"
}

variable "namespace" {
  description = "Namespace for the churn service."
  type        = string
  default     = "churn"
}

variable "image_tag" {
  description = "Immutable tag of the churn-api image to run."
  type        = string
  default     = "1.0.0"
}

variable "model_version" {
  description = "Model version the service reports and logs."
  type        = string
  default     = "churn-logreg-1.0.0"
}

variable "replicas" {
  description = "Number of API pods."
  type        = number
  default     = 2

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 10
    error_message = "replicas must be between 1 and 10."
  }
}
