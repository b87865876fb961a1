output "service_dns" {
  description = "In-cluster address of the churn API."
  value       = "${kubernetes_service_v1.churn_api.metadata[0].name}.${var.namespace}.svc.cluster.local"
}

output "image" {
  description = "Image currently declared for the API pods."
  value       = "ghcr.io/mlops-course/churn-api:${var.image_tag}"
}
