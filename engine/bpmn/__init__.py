"""Behaviour per element kind (Zeebe's BpmnElementProcessors): one module each, over the shared behaviours of
engine/behaviors; registry.py maps each kind to its processor."""
