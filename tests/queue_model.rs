//! Model-based tests: random sequences of non-blocking queue operations, run against the
//! real queue and against a plain model (`VecDeque` for FIFO, `Vec` for LIFO, a
//! `BinaryHeap` of `(key, arrival)` for priority), comparing every result and, after every
//! step, the sizes and counters.

use proptest::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use syncsmith::{Discipline, Fifo, GetError, Lifo, Priority, PutError, Queue, SimpleQueue};

/// An item that orders by `key` only; `tag` (its arrival number) tells equal keys apart,
/// so the priority model can check that ties leave in arrival order.
#[derive(Debug, Clone, Copy)]
struct Item {
    key: u8,
    tag: u32,
}
impl Ord for Item {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Item {}

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    Get,
    TaskDone,
    Shutdown(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6).prop_map(Op::Put),
        3 => Just(Op::Get),
        2 => Just(Op::TaskDone),
        // Rare, so that most runs do a lot before the queue stops.
        1 => any::<bool>().prop_map(Op::Shutdown),
    ]
}

/// The containers the models use.
trait ModelStore: Default {
    fn push(&mut self, item: Item);
    fn pop(&mut self) -> Option<Item>;
    fn len(&self) -> usize;
}

#[derive(Default)]
struct FifoModel(VecDeque<Item>);
impl ModelStore for FifoModel {
    fn push(&mut self, item: Item) {
        self.0.push_back(item)
    }
    fn pop(&mut self) -> Option<Item> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Default)]
struct LifoModel(Vec<Item>);
impl ModelStore for LifoModel {
    fn push(&mut self, item: Item) {
        self.0.push(item)
    }
    fn pop(&mut self) -> Option<Item> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Smallest key first, then smallest arrival number.
#[derive(Default)]
struct PriorityModel(BinaryHeap<Reverse<(u8, u32)>>);
impl ModelStore for PriorityModel {
    fn push(&mut self, item: Item) {
        self.0.push(Reverse((item.key, item.tag)))
    }
    fn pop(&mut self) -> Option<Item> {
        self.0.pop().map(|Reverse((key, tag))| Item { key, tag })
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

fn pair(item: Item) -> (u8, u32) {
    (item.key, item.tag)
}

/// Runs `ops` on a real queue and on the model, step by step.
fn check<D: Discipline<Item>, M: ModelStore>(maxsize: usize, ops: &[Op]) {
    let queue: Queue<Item, D> = Queue::new(maxsize);
    let mut model = M::default();
    let (mut unfinished, mut shut) = (0usize, false);
    for (tag, op) in (0u32..).zip(ops) {
        match *op {
            Op::Put(key) => {
                let item = Item { key, tag };
                let got = queue.try_put(item);
                if shut {
                    assert!(matches!(got, Err(PutError::ShutDown(i)) if pair(i) == pair(item)));
                } else if maxsize > 0 && model.len() >= maxsize {
                    assert!(matches!(got, Err(PutError::Full(i)) if pair(i) == pair(item)));
                } else {
                    assert!(got.is_ok());
                    model.push(item);
                    unfinished += 1;
                }
            }
            Op::Get => {
                let got = queue.try_get().map(pair);
                let expected = match model.pop() {
                    Some(item) => Ok(pair(item)),
                    None if shut => Err(GetError::ShutDown),
                    None => Err(GetError::Empty),
                };
                assert_eq!(got, expected);
            }
            Op::TaskDone => {
                let got = queue.task_done();
                assert_eq!(got.is_ok(), unfinished > 0);
                unfinished = unfinished.saturating_sub(1);
            }
            Op::Shutdown(immediate) => {
                let got: Vec<_> = queue.shutdown(immediate).into_iter().map(pair).collect();
                let mut expected = Vec::new();
                if immediate {
                    while let Some(item) = model.pop() {
                        expected.push(pair(item));
                    }
                    unfinished = unfinished.saturating_sub(expected.len());
                }
                assert_eq!(got, expected);
                shut = true;
            }
        }
        assert_eq!(queue.qsize(), model.len());
        assert_eq!(queue.unfinished_tasks(), unfinished);
        assert_eq!(queue.empty(), model.len() == 0);
        assert_eq!(queue.full(), maxsize > 0 && model.len() >= maxsize);
        assert_eq!(queue.is_shutdown(), shut);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fifo_queue_behaves_like_a_vecdeque(maxsize in 0usize..5, ops in prop::collection::vec(op(), 0..120)) {
        check::<Fifo, FifoModel>(maxsize, &ops);
    }

    #[test]
    fn lifo_queue_behaves_like_a_vec(maxsize in 0usize..5, ops in prop::collection::vec(op(), 0..120)) {
        check::<Lifo, LifoModel>(maxsize, &ops);
    }

    #[test]
    fn priority_queue_behaves_like_a_binary_heap_with_arrival_numbers(
        maxsize in prop_oneof![Just(0usize), 1usize..12],
        ops in prop::collection::vec(op(), 0..200),
    ) {
        check::<Priority, PriorityModel>(maxsize, &ops);
    }

    #[test]
    fn simple_queue_behaves_like_a_vecdeque(ops in prop::collection::vec(prop::option::of(any::<u16>()), 0..200)) {
        // Some(x): put x; None: try_get.
        let queue = SimpleQueue::new();
        let mut model = VecDeque::new();
        for op in ops {
            match op {
                Some(x) => {
                    queue.put(x);
                    model.push_back(x);
                }
                None => assert_eq!(queue.try_get().ok(), model.pop_front()),
            }
            prop_assert_eq!(queue.qsize(), model.len());
            prop_assert_eq!(queue.empty(), model.is_empty());
        }
    }
}
