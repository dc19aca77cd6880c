//! Train and test jobs: an agent trained on the train part of a dataset, checked on the
//! valid part, and tested on the test part against the task's baselines.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::data;
use super::{blocking, ExecError, JobContext, JobOutput};
use crate::algo::{self, Backtest, MarketData, SplitSpec, Task, TrainSpec, TrainedModel};
use crate::db::Db;
use crate::jobs::input::{TestInput, TrainInput};
use crate::jobs::queue;
use crate::plot;

/// Where a model's data came from, kept with the model so a test uses the same data.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DataSource {
    dataset_id: String,
    start_date: Option<String>,
    end_date: Option<String>,
}

/// What a train job stores in its result's `extra`.
#[derive(Debug, Serialize, Deserialize)]
struct TrainedExtra {
    model: String,
    data: DataSource,
}

impl DataSource {
    /// The data for `task`: algorithmic trading takes the first tic when several are given.
    async fn load(&self, db: &Db, task: Task, ctx: &JobContext) -> Result<MarketData, ExecError> {
        let text = data::dataset_text(db, &self.dataset_id).await?;
        let source = self.clone();
        let ctx = ctx.clone();
        blocking(move || {
            let all = data::market_data(
                &text,
                &format!("dataset {}", source.dataset_id),
                source.start_date.as_deref(),
                source.end_date.as_deref(),
            )?;
            if task == Task::AlgorithmicTrading && all.num_tics() > 1 {
                let tic = all.tics[0].clone();
                ctx.log(format!(
                    "algorithmic trading uses one tic; the data has {}, using {tic}",
                    all.num_tics()
                ));
                return Ok(all.select_tic(&tic)?);
            }
            Ok(all)
        })
        .await
    }
}

/// The training request, from a TradeMaster session or a web API strategy.
fn train_spec(input: &TrainInput) -> (TrainSpec, DataSource) {
    match input {
        TrainInput::Strategy { strategy } => {
            let spec = TrainSpec {
                task: strategy.task.clone(),
                agent: strategy.agent.clone(),
                hyperparameters: strategy.hyperparameters.clone(),
                ..TrainSpec::new("", "")
            };
            let source = DataSource {
                dataset_id: strategy.dataset_id.clone(),
                start_date: None,
                end_date: None,
            };
            (spec, source)
        }
        TrainInput::Session(request) => {
            let mut spec = TrainSpec::new(&request.task_name, &request.agent_name);
            spec.optimizer = request.optimizer_name.clone();
            spec.loss = request.loss_name.clone();
            spec.seed = request.seed.unwrap_or(0);
            spec.hyperparameters = request
                .hyperparameters
                .clone()
                .map_or(Value::Null, Value::Object);
            let source = DataSource {
                dataset_id: request.dataset_id.clone(),
                start_date: request.start_date.clone(),
                end_date: request.end_date.clone(),
            };
            (spec, source)
        }
    }
}

fn metrics_lines(ctx: &JobContext, part: &str, backtest: &Backtest) {
    ctx.log(format!(
        "{part} of {} dates, {} against its baselines:",
        backtest.dates.len(),
        backtest.agent
    ));
    let curves = std::iter::once((backtest.agent.as_str(), &backtest.metrics)).chain(
        backtest
            .baselines
            .iter()
            .map(|c| (c.name.as_str(), &c.metrics)),
    );
    for (name, m) in curves {
        ctx.log(format!(
            "{name}: total_return {:.4}, sharpe_ratio {:.4}, volatility {:.4}, max_drawdown {:.4}, calmar_ratio {:.4}, sortino_ratio {:.4}",
            m.total_return, m.sharpe_ratio, m.volatility, m.max_drawdown, m.calmar_ratio, m.sortino_ratio
        ));
    }
}

/// Metrics of the agent (flat, by the names of the API doc) plus each baseline's.
fn metrics_json(backtest: &Backtest) -> Value {
    let mut metrics = serde_json::to_value(backtest.metrics).unwrap_or(Value::Null);
    let baselines: serde_json::Map<String, Value> = backtest
        .baselines
        .iter()
        .map(|c| {
            let m = serde_json::to_value(c.metrics).unwrap_or(Value::Null);
            (c.name.clone(), m)
        })
        .collect();
    if let Value::Object(map) = &mut metrics {
        map.insert("agent".into(), json!(backtest.agent));
        map.insert("baselines".into(), Value::Object(baselines));
    }
    metrics
}

pub async fn run_train(
    db: &Db,
    input: &TrainInput,
    ctx: &JobContext,
) -> Result<JobOutput, ExecError> {
    let (spec, source) = train_spec(input);
    let task = Task::parse(&spec.task)?;
    let data = source.load(db, task, ctx).await?;
    let ctx = ctx.clone();
    blocking(move || {
        let split = data.split(&SplitSpec::default())?;
        ctx.log(format!(
            "training {} on {} dates ({} to {}), {} tic(s)",
            spec.agent,
            split.train.num_dates(),
            split.train.dates.first().map_or("", String::as_str),
            split.train.dates.last().map_or("", String::as_str),
            split.train.num_tics()
        ));
        let mut progress = |p: algo::TrainProgress| {
            let loss = p.loss.map(|l| format!(", loss {l:.6}")).unwrap_or_default();
            ctx.log(format!(
                "epoch {}/{}: mean reward {:.6}, final value {:.2}{loss}",
                p.epoch, p.epochs, p.mean_reward, p.final_value
            ));
            ctx.progress(p.epoch as f64 / p.epochs.max(1) as f64 * 0.9);
            !ctx.is_cancelled()
        };
        let model = algo::train(&spec, &split.train, &mut progress)?;
        if ctx.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let valid = algo::evaluate(&model, &split.valid)?;
        metrics_lines(&ctx, "valid", &valid);
        let chart = plot::backtest_chart(&valid)?;
        let model_text = String::from_utf8(model.to_bytes()?)
            .map_err(|e| ExecError::Failed(format!("model is not UTF-8 JSON: {e}")))?;
        ctx.log("training finished");
        let extra = TrainedExtra {
            model: model_text,
            data: source,
        };
        Ok(JobOutput {
            metrics: metrics_json(&valid),
            equity_curve: valid.account.clone(),
            plots: vec![("equity_curve".into(), chart)],
            extra: serde_json::to_value(extra)
                .map_err(|e| ExecError::Failed(format!("cannot store the model: {e}")))?,
        })
    })
    .await
}

pub async fn run_test(
    db: &Db,
    input: &TestInput,
    ctx: &JobContext,
) -> Result<JobOutput, ExecError> {
    let train_job = match input {
        TestInput::Training { train_job_id } => train_job_id.clone(),
        TestInput::Strategy { strategy } => queue::latest_training_of_strategy(db, &strategy.id)
            .await?
            .ok_or_else(|| {
                ExecError::Input(format!(
                    "strategy {} has no succeeded train job to test; train it first",
                    strategy.id
                ))
            })?,
    };
    let (model, source) = trained_model(db, &train_job).await?;
    let data = source.load(db, model.task(), ctx).await?;
    let ctx = ctx.clone();
    blocking(move || {
        let split = data.split(&SplitSpec::default())?;
        let test = algo::evaluate(&model, &split.test)?;
        metrics_lines(&ctx, "test", &test);
        let chart = plot::backtest_chart(&test)?;
        ctx.log("test finished");
        Ok(JobOutput {
            metrics: metrics_json(&test),
            equity_curve: test.account.clone(),
            plots: vec![("backtest".into(), chart)],
            extra: json!({ "train_job_id": train_job, "dates": test.dates }),
        })
    })
    .await
}

/// The model a train job stored, with where its data came from.
async fn trained_model(db: &Db, train_job: &str) -> Result<(TrainedModel, DataSource), ExecError> {
    let extra: TrainedExtra = data::job_extra(db, train_job, "train").await?;
    let model = TrainedModel::from_bytes(extra.model.as_bytes())?;
    Ok((model, extra.data))
}

pub(super) async fn load_trained_model(
    db: &Db,
    train_job: &str,
) -> Result<TrainedModel, ExecError> {
    Ok(trained_model(db, train_job).await?.0)
}
