"""Container and Kubernetes grading: policy checks, a confined image build, the container run.

One job per module: ``policy`` (the course's rules, read from grader/policy/containers.toml),
``dockerfile`` / ``compose`` / ``kube`` (static checks of each file), ``engine`` (a
Docker-compatible API for the job), ``proxy`` (the build's only network: the package registry),
``build`` and ``run`` (the image and its container).
"""
