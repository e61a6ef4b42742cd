//! Loom models of `event` (being written).
