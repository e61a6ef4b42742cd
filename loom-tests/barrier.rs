//! Loom models of `barrier` (being written).
