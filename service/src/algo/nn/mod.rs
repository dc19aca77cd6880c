//! Small dense networks on ndarray with hand-written backpropagation.

mod loss;
mod optim;

pub use loss::Loss;
pub use optim::{Optimizer, OptimizerKind};

use ndarray::{Array1, Array2, ArrayView2, ArrayViewD, ArrayViewMutD, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Seeded random number generator used everywhere in training: same seed, same run.
pub type SeededRng = ChaCha8Rng;

pub fn seeded_rng(seed: u64) -> SeededRng {
    rand::SeedableRng::seed_from_u64(seed)
}

/// A standard normal sample (Box–Muller).
pub fn standard_normal(rng: &mut SeededRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Tanh,
}

impl Activation {
    fn apply(self, x: &Array2<f64>) -> Array2<f64> {
        match self {
            Activation::Relu => x.mapv(|v| v.max(0.0)),
            Activation::Tanh => x.mapv(f64::tanh),
        }
    }

    /// Derivative in terms of the pre-activation `x` and the output `y`.
    fn derivative(self, x: f64, y: f64) -> f64 {
        match self {
            Activation::Relu => f64::from(u8::from(x > 0.0)),
            Activation::Tanh => 1.0 - y * y,
        }
    }
}

/// `y = x · weight + bias` for a batch of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// `[inputs, outputs]`
    pub weight: Array2<f64>,
    pub bias: Array1<f64>,
}

/// Dense layers with one activation between them; the last layer is linear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    pub layers: Vec<Dense>,
    pub activation: Activation,
}

/// What the forward pass keeps for the backward pass.
pub struct Trace {
    /// Input of each layer (the first is the network input).
    inputs: Vec<Array2<f64>>,
    /// Pre-activations of the hidden layers.
    pre: Vec<Array2<f64>>,
}

/// Gradients with the shapes of an [`Mlp`]'s parameters.
#[derive(Debug, Clone)]
pub struct Gradients {
    pub layers: Vec<Dense>,
}

impl Mlp {
    /// Layers of the given sizes (`[inputs, hidden.., outputs]`), uniform Glorot init.
    pub fn new(sizes: &[usize], activation: Activation, rng: &mut SeededRng) -> Mlp {
        let layers = sizes
            .windows(2)
            .map(|w| {
                let limit = (6.0 / (w[0] + w[1]) as f64).sqrt();
                Dense {
                    weight: Array2::from_shape_fn((w[0], w[1]), |_| rng.gen_range(-limit..limit)),
                    bias: Array1::zeros(w[1]),
                }
            })
            .collect();
        Mlp { layers, activation }
    }

    pub fn input_size(&self) -> usize {
        self.layers.first().map_or(0, |l| l.weight.nrows())
    }

    pub fn output_size(&self) -> usize {
        self.layers.last().map_or(0, |l| l.weight.ncols())
    }

    pub fn forward(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut h = x.to_owned();
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            h = h.dot(&layer.weight) + &layer.bias;
            if i < last {
                h = self.activation.apply(&h);
            }
        }
        h
    }

    pub fn forward_trace(&self, x: ArrayView2<f64>) -> (Array2<f64>, Trace) {
        let mut trace = Trace {
            inputs: Vec::with_capacity(self.layers.len()),
            pre: Vec::with_capacity(self.layers.len()),
        };
        let mut h = x.to_owned();
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            let z = h.dot(&layer.weight) + &layer.bias;
            trace.inputs.push(h);
            h = if i < last {
                let a = self.activation.apply(&z);
                trace.pre.push(z);
                a
            } else {
                z
            };
        }
        (h, trace)
    }

    /// Adds the gradients of `sum(grad_out ⊙ output)` to `grads`; returns the input gradient.
    pub fn backward(
        &self,
        trace: &Trace,
        grad_out: ArrayView2<f64>,
        grads: &mut Gradients,
    ) -> Array2<f64> {
        let mut g = grad_out.to_owned();
        for i in (0..self.layers.len()).rev() {
            let layer = &self.layers[i];
            let input = &trace.inputs[i];
            grads.layers[i].weight += &input.t().dot(&g);
            grads.layers[i].bias += &g.sum_axis(Axis(0));
            let mut back = g.dot(&layer.weight.t());
            if i > 0 {
                let pre = &trace.pre[i - 1];
                ndarray::Zip::from(&mut back)
                    .and(pre)
                    .and(input)
                    .for_each(|b, &x, &y| *b *= self.activation.derivative(x, y));
            }
            g = back;
        }
        g
    }

    pub fn zero_gradients(&self) -> Gradients {
        Gradients {
            layers: self
                .layers
                .iter()
                .map(|l| Dense {
                    weight: Array2::zeros(l.weight.raw_dim()),
                    bias: Array1::zeros(l.bias.raw_dim()),
                })
                .collect(),
        }
    }

    pub fn params_mut(&mut self) -> Vec<ArrayViewMutD<'_, f64>> {
        self.layers
            .iter_mut()
            .flat_map(|l| [l.weight.view_mut().into_dyn(), l.bias.view_mut().into_dyn()])
            .collect()
    }
}

impl Gradients {
    pub fn views(&self) -> Vec<ArrayViewD<'_, f64>> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.view().into_dyn(), l.bias.view().into_dyn()])
            .collect()
    }

    pub fn scale(&mut self, factor: f64) {
        for l in &mut self.layers {
            l.weight *= factor;
            l.bias *= factor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Backprop agrees with finite differences for both activations.
    #[test]
    fn gradients_match_finite_differences() {
        for activation in [Activation::Relu, Activation::Tanh] {
            let mut rng = seeded_rng(7);
            let net = Mlp::new(&[3, 5, 2], activation, &mut rng);
            let x = array![[0.3, -0.2, 0.9], [-0.5, 0.4, 0.1]];
            let weights = array![[1.0, -2.0], [0.5, 3.0]];
            let objective = |n: &Mlp| (n.forward(x.view()) * &weights).sum();
            let (_, trace) = net.forward_trace(x.view());
            let mut grads = net.zero_gradients();
            net.backward(&trace, weights.view(), &mut grads);
            let eps = 1e-6;
            for (l, layer) in net.layers.iter().enumerate() {
                for ((i, j), _) in layer.weight.indexed_iter() {
                    let mut plus = net.clone();
                    plus.layers[l].weight[[i, j]] += eps;
                    let mut minus = net.clone();
                    minus.layers[l].weight[[i, j]] -= eps;
                    let numeric = (objective(&plus) - objective(&minus)) / (2.0 * eps);
                    let analytic = grads.layers[l].weight[[i, j]];
                    assert!(
                        (numeric - analytic).abs() < 1e-5,
                        "{activation:?} {numeric} {analytic}"
                    );
                }
            }
        }
    }

    #[test]
    fn same_seed_same_network() {
        let a = Mlp::new(&[4, 8, 1], Activation::Relu, &mut seeded_rng(3));
        let b = Mlp::new(&[4, 8, 1], Activation::Relu, &mut seeded_rng(3));
        let c = Mlp::new(&[4, 8, 1], Activation::Relu, &mut seeded_rng(4));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
