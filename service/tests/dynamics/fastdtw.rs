//! FastDTW and the merge distance equal the reference `fastdtw` package bit
//! for bit on random series with many ties (fixture made by
//! `scripts/dynamics_reference.py --fastdtw-cases`).

use std::path::Path;

use serde_json::Value;
use tmctl_service::dynamics::dtw::fastdtw;
use tmctl_service::dynamics::merge::segment_distance;

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn distances_equal_the_reference_package() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/dynamics/fastdtw_cases.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 50);
    for (k, case) in cases.iter().enumerate() {
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let expected = case["fastdtw"].as_f64().unwrap();
        assert_eq!(fastdtw(&x, &y), expected, "case {k}: fastdtw");

        let round = case["round"].as_u64().unwrap() as usize;
        let ours = segment_distance(&x, &y, round);
        match case["segment_distance"].as_f64() {
            Some(expected) => assert_eq!(ours, expected, "case {k}: segment distance"),
            None => assert!(
                ours.is_nan(),
                "case {k}: equal lengths give NaN, got {ours}"
            ),
        }
    }
}
