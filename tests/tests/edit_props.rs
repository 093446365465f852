//! A property of `#[checkpoint]` edits, over loopback against the emulator: for random sent
//! values and random edits made by mutating them (changed values, removed and added keys,
//! nulls, wrong types, extra nesting, floats near an `f32`'s precision), either the body
//! observes exactly the approved JSON, or the call fails with an edit error and the body does
//! not run. Which of the two must happen is predicted independently: an edit fits when it names
//! only parameters that were sent and each changed value survives a plain serde round trip
//! through its type. `CHEQPOINT_PROP_CASES` sets the number of cases (default 500).

mod common;

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicUsize, Ordering::SeqCst},
    time::Duration,
};

use cheqpoint::{Client, Error, PollPolicy, checkpoint};
use cheqpoint_emulator::Emulator;
use proptest::{prelude::*, test_runner::TestRunner};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Inner {
    label: String,
    count: u32,
    note: Option<String>,
    #[serde(default)]
    flag: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outer {
    name: String,
    inner: Inner,
    tags: Vec<String>,
    scores: BTreeMap<String, i64>,
    ratio: f32,
}

#[allow(clippy::too_many_arguments)] // one parameter of each shape, on purpose
#[checkpoint(client = client, skip(client, ran), action = "shapes")]
async fn shapes(
    client: &Client,
    ran: &AtomicUsize,
    count: u64,
    label: Option<String>,
    outer: Outer,
    items: Vec<Inner>,
    limits: BTreeMap<String, u8>,
    weight: f64,
) -> Result<Value, Error> {
    ran.fetch_add(1, SeqCst);
    Ok(
        json!({"count": count, "label": label, "outer": outer, "items": items,
              "limits": limits, "weight": weight}),
    )
}

fn inner() -> impl Strategy<Value = Inner> {
    (
        "[a-z]{0,4}",
        any::<u32>(),
        proptest::option::of("[a-z]{1,3}"),
        any::<bool>(),
    )
        .prop_map(|(label, count, note, flag)| Inner {
            label,
            count,
            note,
            flag,
        })
}

fn outer() -> impl Strategy<Value = Outer> {
    (
        "[a-z]{1,4}",
        inner(),
        proptest::collection::vec("[a-z]{1,3}", 0..3),
        proptest::collection::btree_map("[a-z]{1,2}", any::<i64>(), 0..3),
        -100.0f32..100.0,
    )
        .prop_map(|(name, inner, tags, scores, ratio)| Outer {
            name,
            inner,
            tags,
            scores,
            ratio,
        })
}

/// The arguments of one call.
#[derive(Debug, Clone)]
struct Args {
    count: u64,
    label: Option<String>,
    outer: Outer,
    items: Vec<Inner>,
    limits: BTreeMap<String, u8>,
    weight: f64,
}

fn args() -> impl Strategy<Value = Args> {
    (
        any::<u64>(),
        proptest::option::of("[a-z]{1,4}"),
        outer(),
        proptest::collection::vec(inner(), 0..3),
        proptest::collection::btree_map("[a-z]{1,2}", any::<u8>(), 0..3),
        -1e6f64..1e6,
    )
        .prop_map(|(count, label, outer, items, limits, weight)| Args {
            count,
            label,
            outer,
            items,
            limits,
            weight,
        })
}

impl Args {
    fn details(&self) -> Value {
        json!({"count": self.count, "label": self.label, "outer": self.outer, "items": self.items,
               "limits": self.limits, "weight": self.weight})
    }
}

/// One change a reviewer makes, at the node picked by `at` (an index into every node).
#[derive(Debug, Clone)]
enum Mutation {
    /// A new value of the same JSON kind (a number nudged, a string changed, a flag flipped).
    Nudge,
    /// A value of another JSON kind.
    WrongType,
    /// The key removed from its object.
    Remove,
    /// The key set to `null`.
    Null,
    /// An unknown key added to the object (or beside the value).
    AddKey,
    /// The value wrapped one level deeper.
    Nest,
    /// A float replaced by a decimal near an `f32`'s precision.
    Float(f32),
}

fn mutation() -> impl Strategy<Value = (Mutation, usize)> {
    let kind = prop_oneof![
        3 => Just(Mutation::Nudge),
        1 => Just(Mutation::WrongType),
        1 => Just(Mutation::Remove),
        1 => Just(Mutation::Null),
        1 => Just(Mutation::AddKey),
        1 => Just(Mutation::Nest),
        1 => (-100.0f32..100.0).prop_map(Mutation::Float),
    ];
    (kind, any::<usize>())
}

/// Every path (object keys and array indices) below the root, the root's keys included.
fn paths(value: &Value, prefix: &mut Vec<Key>, out: &mut Vec<Vec<Key>>) {
    let children: Vec<(Key, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (Key::Name(k.clone()), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Key::Index(i), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        prefix.push(key);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    Name(String),
    Index(usize),
}

fn node<'a>(root: &'a mut Value, path: &[Key]) -> &'a mut Value {
    path.iter().fold(root, |value, key| match key {
        Key::Name(name) => &mut value[name.as_str()],
        Key::Index(index) => &mut value[*index],
    })
}

fn apply(details: &Value, mutations: &[(Mutation, usize)]) -> Value {
    let mut edit = details.clone();
    for (mutation, at) in mutations {
        let mut all = Vec::new();
        paths(&edit, &mut Vec::new(), &mut all);
        let path = &all[at % all.len()];
        let (parent_path, last) = path.split_at(path.len() - 1);
        let parent = node(&mut edit, parent_path);
        match (mutation, &last[0], parent) {
            (Mutation::Remove, Key::Name(name), Value::Object(map)) => {
                map.remove(name);
            }
            (Mutation::Remove, Key::Index(index), Value::Array(items)) => {
                items.remove(*index);
            }
            (Mutation::AddKey, _, Value::Object(map)) => {
                map.insert("extra".into(), json!("added"));
            }
            (mutation, key, parent) => {
                let target = match key {
                    Key::Name(name) => &mut parent[name.as_str()],
                    Key::Index(index) => &mut parent[*index],
                };
                *target = changed(mutation, target.take());
            }
        }
    }
    edit
}

fn changed(mutation: &Mutation, value: Value) -> Value {
    match (mutation, value) {
        (Mutation::Nudge, Value::Number(n)) if n.is_u64() => {
            json!(n.as_u64().unwrap().wrapping_add(1) % 300)
        }
        (Mutation::Nudge, Value::Number(n)) if n.is_i64() => {
            json!(n.as_i64().unwrap().saturating_sub(1))
        }
        (Mutation::Nudge, Value::Number(n)) => json!(n.as_f64().unwrap() / 2.0),
        (Mutation::Nudge, Value::String(s)) => json!(format!("{s}x")),
        (Mutation::Nudge, Value::Bool(b)) => json!(!b),
        (Mutation::Nudge, Value::Null) => json!("now set"),
        (Mutation::Nudge, Value::Array(mut items)) => {
            items.reverse();
            Value::Array(items)
        }
        (Mutation::Nudge, other) => other,
        (Mutation::WrongType, Value::String(_)) => json!(7),
        (Mutation::WrongType, _) => json!("seven"),
        (Mutation::Null, _) => Value::Null,
        (Mutation::Nest, value) => json!({"value": value}),
        (Mutation::Float(f), _) => serde_json::from_str(&format!("{f}")).unwrap(),
        (Mutation::AddKey | Mutation::Remove, value) => value,
    }
}

/// Objects without their `null` keys, numbers as `f64`: the data a person reads.
fn normal(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normal(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normal).collect()),
        Value::Number(n) => json!(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

/// Equal as data, floats within an `f32`'s precision.
fn same(a: &Value, b: &Value) -> bool {
    match (normal(a), normal(b)) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x as f32 == y as f32 && x.abs() < 1e30)
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(&y).all(|(v, w)| same(v, w))
        }
        (x, y) => x == y,
    }
}

/// True when `edit` of `name` survives a plain serde round trip through `T`.
fn fits<T: Serialize + DeserializeOwned>(edit: &Value) -> bool {
    serde_json::from_value::<T>(edit.clone())
        .ok()
        .and_then(|value| serde_json::to_value(value).ok())
        .is_some_and(|runs| same(edit, &runs))
}

/// The independent prediction: does this edit fit the call?
fn should_fit(sent: &Map<String, Value>, edit: &Map<String, Value>) -> bool {
    let known = edit
        .iter()
        .all(|(k, v)| v.is_null() || sent.contains_key(k));
    let value = |name: &str| edit.get(name).cloned().unwrap_or(Value::Null);
    let each = |name: &str, fits: fn(&Value) -> bool| {
        same(&value(name), &sent[name]) || fits(&value(name))
    };
    known
        && each("count", fits::<u64>)
        && each("label", fits::<Option<String>>)
        && each("outer", fits::<Outer>)
        && each("items", fits::<Vec<Inner>>)
        && each("limits", fits::<BTreeMap<String, u8>>)
        && each("weight", fits::<f64>)
}

#[test]
fn the_body_observes_exactly_the_approved_json_or_does_not_run() {
    let cases: u32 = std::env::var("CHEQPOINT_PROP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator: Emulator = runtime.block_on(common::emulator());
    let client = Client::builder()
        .api_key(common::KEY)
        .base_url(emulator.url())
        .timeout(Duration::from_secs(10))
        .poll(PollPolicy::fixed(Duration::from_millis(2)))
        .build()
        .unwrap();
    let (fitted, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    let strategy = (args(), proptest::collection::vec(mutation(), 1..4));
    runner
        .run(&strategy, |(args, mutations)| {
            let sent = args.details();
            let edit = apply(&sent, &mutations);
            let predicted = should_fit(sent.as_object().unwrap(), edit.as_object().unwrap());
            let ran = AtomicUsize::new(0);
            let (result, ()) = runtime.block_on(async {
                let reviewer = async {
                    let request = emulator
                        .next_pending(Duration::from_secs(10))
                        .await
                        .expect("the call makes a request");
                    emulator.approve_with(&request.id, edit.clone()).unwrap();
                };
                let a = args.clone();
                tokio::join!(
                    shapes(
                        &client, &ran, a.count, a.label, a.outer, a.items, a.limits, a.weight
                    ),
                    reviewer
                )
            });
            match result {
                Ok(observed) => {
                    fitted.fetch_add(1, SeqCst);
                    prop_assert_eq!(ran.load(SeqCst), 1);
                    prop_assert!(predicted, "an edit that does not fit ran: {}", edit);
                    prop_assert!(
                        same(&observed, &edit),
                        "ran {} for the approved {}",
                        observed,
                        edit
                    );
                }
                Err(Error::InvalidEdit { .. }) => {
                    refused.fetch_add(1, SeqCst);
                    prop_assert_eq!(ran.load(SeqCst), 0);
                    prop_assert!(!predicted, "an edit that fits was refused: {}", edit);
                }
                Err(other) => prop_assert!(false, "the call failed for another reason: {other}"),
            }
            Ok(())
        })
        .unwrap();
    let (fitted, refused) = (fitted.into_inner(), refused.into_inner());
    let total = fitted + refused;
    println!(
        "{total} cases: {fitted} ran with the approved values ({}%), {refused} refused without running ({}%)",
        fitted * 100 / total,
        refused * 100 / total
    );
    assert!(
        fitted * 10 >= total && refused * 10 >= total,
        "both outcomes are reached often"
    );
}
