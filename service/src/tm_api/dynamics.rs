//! Market dynamics labeling and testing per dynamics: start_market_dynamics_labeling,
//! MDM_status, save_market_dynamics_labeling, run_dynamics_test, dynamics_testing_status.

use axum::extract::State;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::training::{log_and_plot, queue_job, resolve_dataset, status_answer};
use super::{fail, session, success, TmBody, TmResult};
use crate::jobs::input::{DynamicsTestInput, LabelInput};
use crate::jobs::queue;
use crate::jobs::{exec, JobInput, JobKind};
use crate::state::AppState;

pub async fn start_labeling(State(app): State<AppState>, body: TmBody) -> TmResult {
    let mut input = LabelInput {
        dataset_name: body.text("dataset_name")?,
        key_indicator: body.text("key_indicator")?,
        timestamp: body.text("timestamp")?,
        tic: body.text("tic")?,
        labeling_method: body.text("labeling_method")?,
        merging_metric: body.text("merging_metric")?,
        number_of_market_style: body.number("number_of_market_style")?,
        min_length_limit: body.number("min_length_limit")?,
        filter_strength: body.number("filter_strength")?,
        max_length_expectation: body.number("max_length_expectation")?,
        merging_threshold: body.number("merging_threshold")?,
        merging_dynamic_constraint: body.number("merging_dynamic_constraint")?,
        start_date: body.optional_text("startDate"),
        end_date: body.optional_text("endDate"),
        dataset_id: String::new(),
    };
    let given_session = body.optional_text("session_id");
    if let Some(id) = &given_session {
        session::params(&app.db, id).await?;
    }
    input.dataset_id = resolve_dataset(&app, &input.dataset_name, given_session.as_deref()).await?;
    if let Some(reason) = exec::unavailable(JobKind::Label) {
        return fail(reason);
    }
    let session_id = match given_session {
        Some(id) => id,
        None => session::create(&app.db).await?,
    };
    queue_job(&app, &session_id, JobInput::Label(input)).await?;
    success(
        json!({ "info": "request success, start market dynamics labeling", "session_id": session_id }),
    )
}

pub async fn labeling_status(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    session::params(&app.db, &session_id).await?;
    let Some(job) = queue::latest_of_session(&app.db, &session_id, JobKind::Label).await? else {
        return fail(format!(
            "no market dynamics labeling was started in session {session_id}"
        ));
    };
    let (info, visualization) = log_and_plot(&app.db, &job).await?;
    let mut analysis = String::new();
    if let Some((metrics, _, _, _)) = queue::result(&app.db, &job.id).await? {
        analysis = BASE64.encode(metrics.to_string());
    }
    let outputs = [
        ("market_dynamic_labeling_visulization", visualization),
        ("market_dynamic_labeling_analysis", analysis),
    ];
    status_answer(&job, info, "MDM_end", outputs, &session_id)
}

pub async fn save_labeling(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    session::params(&app.db, &session_id).await?;
    let labeled = queue::latest_of_session(&app.db, &session_id, JobKind::Label).await?;
    let Some(labeled) = labeled.filter(|job| job.state == "succeeded") else {
        return fail(format!(
            "session {session_id} has no finished labeling to save; wait for MDM_end first"
        ));
    };
    let mut changes = Map::new();
    changes.insert("dynamics_label_job_id".into(), json!(labeled.id));
    session::update(&app.db, &session_id, changes).await?;
    success(json!({ "info": "request success, save market dynamics", "session_id": session_id }))
}

fn label_of(body: &TmBody) -> Result<u64, super::TmError> {
    let field = if body.0.contains_key("dynamics_test_label") {
        "dynamics_test_label"
    } else {
        "test_dynamic_label"
    };
    let value = body.number(field).map_err(|_| {
        super::TmError(
            "missing or non-numeric field dynamics_test_label (the label to test on)".into(),
        )
    })?;
    if value.fract() != 0.0 || value < 0.0 {
        return fail(format!(
            "dynamics_test_label must be a label number like 0, 1, 2; got {value}"
        ));
    }
    Ok(value as u64)
}

pub async fn run_dynamics_test(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    let label = label_of(&body)?;
    let params = session::params(&app.db, &session_id).await?;
    if let Some(reason) = exec::unavailable(JobKind::DynamicsTest) {
        return fail(reason);
    }
    let Some(label_job) = params
        .get("dynamics_label_job_id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return fail(format!("session {session_id} has no saved market dynamics labeling; call save_market_dynamics_labeling first"));
    };
    let trained = queue::latest_of_session(&app.db, &session_id, JobKind::Train).await?;
    let Some(trained) = trained.filter(|job| job.state == "succeeded") else {
        return fail(format!(
            "session {session_id} has no trained agent; train one first"
        ));
    };
    let input = DynamicsTestInput {
        label,
        label_job_id: label_job,
        train_job_id: trained.id,
    };
    let job_id = queue_job(&app, &session_id, JobInput::DynamicsTest(input)).await?;
    let mut changes = Map::new();
    changes.insert(format!("dynamics_test_job_{label}"), json!(job_id));
    session::update(&app.db, &session_id, changes).await?;
    success(json!({ "info": "request success, start dynamics test", "session_id": session_id }))
}

pub async fn dynamics_testing_status(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    let label = label_of(&body)?;
    let params = session::params(&app.db, &session_id).await?;
    let Some(job_id) = params
        .get(&format!("dynamics_test_job_{label}"))
        .and_then(Value::as_str)
    else {
        return fail(format!(
            "no dynamics test for label {label} was started in session {session_id}"
        ));
    };
    let Some(job) = crate::jobs::cached_status(&app, job_id).await? else {
        return fail(format!("the dynamics test job {job_id} no longer exists"));
    };
    let (info, radar) = log_and_plot(&app.db, &job).await?;
    let outputs = [("radar_plot", radar)];
    status_answer(&job, info, "dynamics_testing_end", outputs, &session_id)
}
