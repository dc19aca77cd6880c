//! Gradient descent optimizers over lists of parameter tensors.

use ndarray::{ArrayViewD, ArrayViewMutD};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    Adam,
    Sgd,
}

impl OptimizerKind {
    pub const NAMES: [&'static str; 2] = ["adam", "sgd"];

    pub fn parse(name: &str) -> Option<OptimizerKind> {
        match name.to_ascii_lowercase().as_str() {
            "adam" => Some(OptimizerKind::Adam),
            "sgd" => Some(OptimizerKind::Sgd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::Sgd => "sgd",
        }
    }
}

/// Adam (β1 0.9, β2 0.999, ε 1e-8) or plain SGD, with gradient clipping by global norm.
#[derive(Debug, Clone)]
pub struct Optimizer {
    kind: OptimizerKind,
    learning_rate: f64,
    clip_norm: f64,
    steps: i32,
    first_moment: Vec<Vec<f64>>,
    second_moment: Vec<Vec<f64>>,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-8;

impl Optimizer {
    pub fn new(kind: OptimizerKind, learning_rate: f64) -> Optimizer {
        Optimizer {
            kind,
            learning_rate,
            clip_norm: 10.0,
            steps: 0,
            first_moment: Vec::new(),
            second_moment: Vec::new(),
        }
    }

    /// Moves each parameter against its gradient. Tensors must come in the same order and
    /// shapes on every call.
    pub fn step(&mut self, params: Vec<ArrayViewMutD<'_, f64>>, grads: Vec<ArrayViewD<'_, f64>>) {
        let norm = grads
            .iter()
            .map(|g| g.iter().map(|x| x * x).sum::<f64>())
            .sum::<f64>()
            .sqrt();
        let clip = if norm > self.clip_norm {
            self.clip_norm / norm
        } else {
            1.0
        };
        if self.first_moment.len() != params.len() {
            self.first_moment = params.iter().map(|p| vec![0.0; p.len()]).collect();
            self.second_moment = self.first_moment.clone();
        }
        self.steps = self.steps.saturating_add(1);
        let correction1 = 1.0 - BETA1.powi(self.steps);
        let correction2 = 1.0 - BETA2.powi(self.steps);
        for (i, (mut p, g)) in params.into_iter().zip(grads).enumerate() {
            let (m, v) = (&mut self.first_moment[i], &mut self.second_moment[i]);
            for (j, (p, g)) in p.iter_mut().zip(g.iter()).enumerate() {
                let g = g * clip;
                match self.kind {
                    OptimizerKind::Sgd => *p -= self.learning_rate * g,
                    OptimizerKind::Adam => {
                        m[j] = BETA1 * m[j] + (1.0 - BETA1) * g;
                        v[j] = BETA2 * v[j] + (1.0 - BETA2) * g * g;
                        let m_hat = m[j] / correction1;
                        let v_hat = v[j] / correction2;
                        *p -= self.learning_rate * m_hat / (v_hat.sqrt() + EPSILON);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Both optimizers walk a quadratic bowl to its minimum.
    #[test]
    fn minimises_a_quadratic() {
        for (kind, lr) in [(OptimizerKind::Adam, 0.05), (OptimizerKind::Sgd, 0.1)] {
            let mut x = array![3.0, -2.0];
            let mut opt = Optimizer::new(kind, lr);
            for _ in 0..500 {
                let g = &x * 2.0;
                opt.step(vec![x.view_mut().into_dyn()], vec![g.view().into_dyn()]);
            }
            assert!(x.iter().all(|v| v.abs() < 1e-2), "{kind:?} {x}");
        }
    }
}
