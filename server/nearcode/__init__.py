"""nearcode: embedding-powered code intelligence for every LSP editor, offline."""

import os

# Nothing of nearcode's reaches the network: no model hub, and no usage telemetry. ONNX
# Runtime's Linux wheel (1.32) queues events about the process (its path, the OS, a device id)
# in ~/.cache/Microsoft/DeveloperTools/.onnxruntime and sends them to Microsoft's collector when
# it can; ORT_DISABLE_TELEMETRY, read as onnxruntime loads, turns that off and writes nothing
# (its disable_telemetry_events() comes too late: the first event is logged at import). Set
# here, before any nearcode module imports onnxruntime, and inherited by the processes nearcode
# starts; a user's own setting wins.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
