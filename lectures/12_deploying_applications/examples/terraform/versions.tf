# Pin Terraform and the provider versions: the same code must produce the same plan everywhere.
terraform {
  required_version = ">= 1.6"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.31"
    }
  }

  # Remote state with locking, so two engineers cannot apply at the same time.
  # For minikube experiments the default local backend (terraform.tfstate) is enough.
  # backend "s3" { bucket = "mlops-course-tfstate" key = "churn/terraform.tfstate" }
}

provider "kubernetes" {
  config_path    = "~/.kube/config"
  config_context = var.kube_context
}
