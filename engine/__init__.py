"""An embedded, Zeebe-compatible BPMN engine that serves the Zeebe gateway gRPC protocol."""
