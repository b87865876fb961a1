"""A real gRPC churn-scoring service: unary, server-streaming and bidirectional calls.

``protos/churn_scoring.proto`` is compiled at run time with grpcio-tools into a temporary
directory (generated code is never committed), the generated modules are imported, and a server
with the trained churn model listens on 127.0.0.1 on a port chosen by the OS. A client then
calls every RPC with a deadline and shows a validation error as a gRPC status code.

Usage::

    uv run python lectures/03_networks_and_apis/examples/grpc_service.py
"""

from __future__ import annotations

import importlib
import importlib.resources
import json
import sys
import tempfile
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import churn_scorer
import grpc

PROTO = Path(__file__).resolve().parent / "protos" / "churn_scoring.proto"
HOST = "127.0.0.1"
DEADLINE = 5.0  # seconds; every client call carries one
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]  # never route loopback calls via a proxy


def compile_proto(proto: Path, out_dir: Path) -> list[str]:
    """Run protoc (bundled with grpcio-tools) and return the names of the generated files."""
    from grpc_tools import protoc

    well_known = importlib.resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{proto.parent}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        str(proto),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed for {proto}")
    return sorted(p.name for p in out_dir.glob("*.py"))


def load_stubs(proto: Path = PROTO) -> tuple[ModuleType, ModuleType, list[str]]:
    """Compile into a temp dir and import ``<name>_pb2`` and ``<name>_pb2_grpc`` from it."""
    base = proto.stem
    if f"{base}_pb2" in sys.modules and f"{base}_pb2_grpc" in sys.modules:
        return sys.modules[f"{base}_pb2"], sys.modules[f"{base}_pb2_grpc"], []
    with tempfile.TemporaryDirectory() as scratch:
        generated = compile_proto(proto, Path(scratch))
        sys.path.insert(0, scratch)
        try:
            messages = importlib.import_module(f"{base}_pb2")
            services = importlib.import_module(f"{base}_pb2_grpc")
        finally:
            sys.path.remove(scratch)
    return messages, services, generated


def customer_from_message(message: Any) -> churn_scorer.Customer:
    """Protobuf ``Customer`` -> the plain dict the model understands."""
    customer = {n: getattr(message, n) for n in churn_scorer.FEATURES if n != "total_charges"}
    customer["total_charges"] = message.total_charges if message.HasField("total_charges") else None
    customer["customer_id"] = message.customer_id or None
    return customer


def message_from_customer(
    pb2: ModuleType, customer: churn_scorer.Customer, customer_id: str
) -> Any:
    """Plain dict -> protobuf ``Customer`` (an unset optional field stays unset)."""
    fields = {n: customer[n] for n in churn_scorer.FEATURES if customer.get(n) is not None}
    return pb2.Customer(customer_id=customer_id, **fields)


def make_servicer(pb2: ModuleType, pb2_grpc: ModuleType, model: churn_scorer.ChurnModel) -> Any:
    """Implement the generated servicer base class with the churn model."""

    class ChurnScorer(pb2_grpc.ChurnScorerServicer):
        """The service implementation; method names match the rpc names in the .proto."""

        def _checked(self, message: Any, context: grpc.ServicerContext) -> churn_scorer.Customer:
            customer = customer_from_message(message)
            problems = churn_scorer.validate(customer)
            if problems:
                # abort() raises: the client receives this status code and message.
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems))
            return customer

        def _prediction(self, customer: churn_scorer.Customer, probability: float) -> Any:
            return pb2.Prediction(
                customer_id=customer["customer_id"] or "",
                churn=probability >= churn_scorer.THRESHOLD,
                churn_probability=probability,
                model_version=model.version,
            )

        def GetModelInfo(self, request: Any, context: grpc.ServicerContext) -> Any:
            """Unary: describe the loaded model."""
            return pb2.ModelInfo(
                name=model.name, version=model.version, features=list(churn_scorer.FEATURES)
            )

        def Predict(self, request: Any, context: grpc.ServicerContext) -> Any:
            """Unary: score one customer."""
            customer = self._checked(request.customer, context)
            return self._prediction(customer, model.predict_proba([customer])[0])

        def PredictBatch(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            """Server streaming: validate the whole batch, then stream one result per customer."""
            customers = [self._checked(m, context) for m in request.customers]
            for customer, p in zip(customers, model.predict_proba(customers), strict=True):
                yield self._prediction(customer, p)

        def PredictStream(
            self, request_iterator: Any, context: grpc.ServicerContext
        ) -> Iterator[Any]:
            """Bidirectional streaming: answer each incoming customer as soon as it arrives."""
            for request in request_iterator:
                customer = self._checked(request.customer, context)
                yield self._prediction(customer, model.predict_proba([customer])[0])

    return ChurnScorer()


@contextmanager
def serve(model: churn_scorer.ChurnModel, pb2: ModuleType, pb2_grpc: ModuleType) -> Iterator[int]:
    """Start a gRPC server on 127.0.0.1 with an OS-chosen port; yield the port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb2_grpc.add_ChurnScorerServicer_to_server(make_servicer(pb2, pb2_grpc, model), server)
    port = server.add_insecure_port(f"{HOST}:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(grace=1).wait(DEADLINE)


def run_client(
    port: int, pb2: ModuleType, pb2_grpc: ModuleType, customers: list[Any]
) -> dict[str, Any]:
    """Call every RPC once; ``customers`` is a list of (id, feature dict) pairs."""
    messages = [message_from_customer(pb2, c, str(i)) for i, c in customers]
    result: dict[str, Any] = {}
    with grpc.insecure_channel(f"{HOST}:{port}", options=CHANNEL_OPTIONS) as channel:
        grpc.channel_ready_future(channel).result(timeout=DEADLINE)
        stub = pb2_grpc.ChurnScorerStub(channel)
        result["info"] = stub.GetModelInfo(pb2.ModelInfoRequest(), timeout=DEADLINE)
        result["unary"] = stub.Predict(pb2.PredictRequest(customer=messages[0]), timeout=DEADLINE)
        result["batch"] = list(
            stub.PredictBatch(pb2.BatchRequest(customers=messages), timeout=DEADLINE)
        )
        requests = (pb2.PredictRequest(customer=m) for m in messages)
        result["stream"] = list(stub.PredictStream(requests, timeout=DEADLINE))

        broken = pb2.Customer()
        broken.CopyFrom(messages[0])
        broken.tenure = 999
        broken.contract = "Weekly"
        try:
            stub.Predict(pb2.PredictRequest(customer=broken), timeout=DEADLINE)
        except grpc.RpcError as error:
            result["error"] = (error.code(), error.details())
    first_id, first = customers[0]
    result["protobuf_bytes"] = messages[0].ByteSize()
    result["json_bytes"] = len(json.dumps({"customer_id": str(first_id), **first}).encode())
    return result


def main() -> None:
    """Compile, serve, call, print."""
    pb2, pb2_grpc, generated = load_stubs()
    print(f"compiled {PROTO.name} -> {generated} (in a temp dir, now deleted)")
    model = churn_scorer.train()
    customers = [(row_id, c) for row_id, c, _ in churn_scorer.load_customers()[:20]]
    with serve(model, pb2, pb2_grpc) as port:
        print(f"gRPC server on {HOST}:{port} (HTTP/2, plaintext, loopback only)")
        result = run_client(port, pb2, pb2_grpc, customers)
    info = result["info"]
    print(f"GetModelInfo  -> {info.name} {info.version}, {len(info.features)} features")
    unary = result["unary"]
    print(
        f"Predict       -> customer {unary.customer_id}: p={unary.churn_probability:.4f}"
        f" churn={unary.churn}"
    )
    print(f"PredictBatch  -> {len(result['batch'])} predictions streamed back")
    churners = [p.customer_id for p in result["stream"] if p.churn]
    print(f"PredictStream -> {len(result['stream'])} predictions; churners: {churners}")
    code, details = result["error"]
    print(f"invalid input -> {code.name}: {details}")
    print(
        f"one customer on the wire: {result['protobuf_bytes']} bytes protobuf vs "
        f"{result['json_bytes']} bytes JSON"
    )


if __name__ == "__main__":
    main()
