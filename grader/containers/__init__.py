"""Container and Kubernetes grading: policy checks, a confined image build, the container run.

One job per module: ``policy`` (the course's rules, read from grader/policy/containers.toml),
``dockerfile`` / ``compose`` / ``kube`` (static checks of each file), ``engine`` (a
Docker-compatible API for the job), ``wheelhouse`` (the build's dependencies, from ``uv.lock``, served on the job's loopback),
``build`` and ``run`` (the image and its container).
"""
