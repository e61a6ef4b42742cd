//! Loom models of `semaphore` (being written).
