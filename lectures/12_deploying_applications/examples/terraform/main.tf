# The churn API on Kubernetes, declared rather than scripted. `terraform plan` shows the diff
# between this file and the cluster; `terraform apply` makes the cluster match it.

locals {
  app_labels = {
    app = "churn-api"
  }
}

resource "kubernetes_namespace_v1" "churn" {
  metadata {
    name = var.namespace
  }
}

resource "kubernetes_config_map_v1" "model" {
  metadata {
    name      = "churn-model"
    namespace = kubernetes_namespace_v1.churn.metadata[0].name
  }

  data = {
    MODEL_VERSION   = var.model_version
    MODEL_THRESHOLD = "0.5"
    LOG_FORMAT      = "json"
  }
}

resource "kubernetes_deployment_v1" "churn_api" {
  metadata {
    name      = "churn-api"
    namespace = kubernetes_namespace_v1.churn.metadata[0].name
    labels    = local.app_labels
  }

  spec {
    replicas = var.replicas

    selector {
      match_labels = local.app_labels # immutable: changing it forces a replacement
    }

    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "1"
        max_unavailable = "0"
      }
    }

    template {
      metadata {
        labels = local.app_labels
      }

      spec {
        container {
          name  = "api"
          image = "ghcr.io/mlops-course/churn-api:${var.image_tag}"

          port {
            container_port = 8000
          }

          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.model.metadata[0].name
            }
          }

          readiness_probe {
            http_get {
              path = "/health"
              port = 8000
            }
            period_seconds = 5
          }

          resources {
            requests = {
              cpu    = "100m"
              memory = "256Mi"
            }
            limits = {
              memory = "512Mi"
            }
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "churn_api" {
  metadata {
    name      = "churn-api"
    namespace = kubernetes_namespace_v1.churn.metadata[0].name
  }

  spec {
    type     = "ClusterIP"
    selector = local.app_labels

    port {
      port        = 80
      target_port = 8000
    }
  }
}
