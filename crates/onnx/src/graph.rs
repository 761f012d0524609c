//! Builds the ONNX graph of an [`Interpolator`] (see the crate documentation for its form).

use crate::proto::attribute_proto::AttributeType;
use crate::proto::tensor_proto::DataType;
use crate::proto::tensor_shape_proto::{dimension, Dimension};
use crate::proto::type_proto;
use crate::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::{OnnxError, Result, INPUT_NAME, IR_VERSION, OPSET, PREDICTION_NAME, STD_NAME};
use fivedreg::{
    Activation, BlendStd, BoostedTrees, Interpolator, Members, PowerForm, RbfKernel, RbfModel,
};
use fivedreg_nn::Mlp;

/// Deepest oblivious tree the graph expresses (its leaf index is an int64 of one bit per
/// level).
const MAX_TREE_DEPTH: usize = 62;

/// A built model and what it holds.
pub(crate) struct Built {
    pub(crate) model: ModelProto,
    pub(crate) nodes: usize,
    pub(crate) has_std: bool,
}

/// Nodes and constants of a graph under construction; every value gets a fresh name.
#[derive(Default)]
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    next: usize,
}

fn int_attr(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..Default::default()
    }
}

/// A usize size as an ONNX dimension (sizes of a checked model are far below i64's range).
fn dim(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Builder {
    fn fresh(&mut self, hint: &str) -> String {
        self.next += 1;
        format!("{hint}_{}", self.next)
    }

    fn constant(
        &mut self,
        hint: &str,
        dims: &[usize],
        fill: impl FnOnce(&mut TensorProto),
    ) -> String {
        let name = self.fresh(hint);
        let mut tensor = TensorProto {
            name: Some(name.clone()),
            dims: dims.iter().map(|&d| dim(d)).collect(),
            ..Default::default()
        };
        fill(&mut tensor);
        self.initializers.push(tensor);
        name
    }

    fn f64s(&mut self, hint: &str, dims: &[usize], values: Vec<f64>) -> String {
        self.constant(hint, dims, |t| {
            t.data_type = Some(DataType::Double as i32);
            t.double_data = values;
        })
    }

    fn f32s(&mut self, hint: &str, dims: &[usize], values: Vec<f32>) -> String {
        self.constant(hint, dims, |t| {
            t.data_type = Some(DataType::Float as i32);
            t.float_data = values;
        })
    }

    fn i64s(&mut self, hint: &str, dims: &[usize], values: Vec<i64>) -> String {
        self.constant(hint, dims, |t| {
            t.data_type = Some(DataType::Int64 as i32);
            t.int64_data = values;
        })
    }

    /// A scalar f64 constant.
    fn scalar(&mut self, value: f64) -> String {
        self.f64s("c", &[], vec![value])
    }

    /// Appends a node of `op` whose one output is `output`.
    fn op_to(
        &mut self,
        op: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
        output: String,
    ) -> String {
        let node = NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: Some(format!("{op}_{}", self.nodes.len())),
            op_type: Some(op.into()),
            attribute: attrs,
            ..Default::default()
        };
        self.nodes.push(node);
        output
    }

    /// Appends a node of `op` with a fresh output name.
    fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let output = self.fresh(&op.to_lowercase());
        self.op_to(op, inputs, attrs, output)
    }

    fn bin(&mut self, op: &str, a: &str, b: &str) -> String {
        self.op(op, &[a, b], vec![])
    }

    fn unary(&mut self, op: &str, a: &str) -> String {
        self.op(op, &[a], vec![])
    }

    /// `x * factor`, with a scalar constant.
    fn times(&mut self, x: &str, factor: f64) -> String {
        let c = self.scalar(factor);
        self.bin("Mul", x, &c)
    }

    /// `x + term`, with a scalar constant.
    fn plus(&mut self, x: &str, term: f64) -> String {
        let c = self.scalar(term);
        self.bin("Add", x, &c)
    }

    /// Columns `columns` of the 2-D `x` (`[N, columns.len()]`).
    fn columns(&mut self, x: &str, columns: Vec<i64>) -> String {
        let n = columns.len();
        let idx = self.i64s("cols", &[n], columns);
        self.op("Gather", &[x, &idx], vec![int_attr("axis", 1)])
    }

    /// Sum over axis 1, kept (`[N, k]` → `[N, 1]`).
    fn row_sum(&mut self, x: &str) -> String {
        let axes = self.i64s("axes", &[1], vec![1]);
        self.op("ReduceSum", &[x, &axes], vec![int_attr("keepdims", 1)])
    }

    /// `value` (a `[1, 1]` constant) repeated to `[N, 1]`, N the rows of `x`.
    fn broadcast_rows(&mut self, x: &str, value: f64) -> String {
        let rows = self.op(
            "Shape",
            &[x],
            vec![int_attr("start", 0), int_attr("end", 1)],
        );
        let one = self.i64s("one", &[1], vec![1]);
        let shape = self.op("Concat", &[&rows, &one], vec![int_attr("axis", 0)]);
        let c = self.f64s("c", &[1, 1], vec![value]);
        self.bin("Expand", &c, &shape)
    }

    /// `log(1 + x)` accurate for small `x` (as `f64::ln_1p`): `log(u)·x/(u − 1)` with
    /// `u = 1 + x`, and `x` where `u` rounds to 1.
    fn log1p(&mut self, x: &str) -> String {
        let u = self.plus(x, 1.0);
        let one = self.scalar(1.0);
        let is_one = self.bin("Equal", &u, &one);
        let log_u = self.unary("Log", &u);
        let scaled = self.bin("Mul", &log_u, x);
        let u_minus_one = self.bin("Sub", &u, &one);
        let ratio = self.bin("Div", &scaled, &u_minus_one);
        self.op("Where", &[&is_one, x, &ratio], vec![])
    }

    /// fivedreg-data's `yeo_johnson(x, lambda)` on the `[N, 1]` column `x`.
    fn yeo_johnson(&mut self, x: &str, lambda: f64) -> String {
        let positive = if lambda.abs() < 1e-12 {
            self.log1p(x)
        } else {
            let base = self.plus(x, 1.0);
            let exponent = self.scalar(lambda);
            let power = self.bin("Pow", &base, &exponent);
            let shifted = self.plus(&power, -1.0);
            let divisor = self.scalar(lambda);
            self.bin("Div", &shifted, &divisor)
        };
        let negative = if (lambda - 2.0).abs() < 1e-12 {
            let minus_x = self.unary("Neg", x);
            let log = self.log1p(&minus_x);
            self.unary("Neg", &log)
        } else {
            let one = self.scalar(1.0);
            let base = self.bin("Sub", &one, x);
            let exponent = self.scalar(2.0 - lambda);
            let power = self.bin("Pow", &base, &exponent);
            let shifted = self.plus(&power, -1.0);
            let negated = self.unary("Neg", &shifted);
            let divisor = self.scalar(2.0 - lambda);
            self.bin("Div", &negated, &divisor)
        };
        let zero = self.scalar(0.0);
        let is_positive = self.bin("GreaterOrEqual", x, &zero);
        self.op("Where", &[&is_positive, &positive, &negative], vec![])
    }

    /// The model's inputs as its members read them: Yeo-Johnson (if any), then standardized.
    fn preprocess(&mut self, x: &str, model: &Interpolator) -> String {
        let transformed = match model.feature_transform() {
            Some(t) => {
                let columns: Vec<String> = t
                    .lambdas()
                    .iter()
                    .enumerate()
                    .map(|(c, &lambda)| {
                        let column = self.columns(x, vec![dim(c)]);
                        self.yeo_johnson(&column, lambda)
                    })
                    .collect();
                let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
                self.op("Concat", &refs, vec![int_attr("axis", 1)])
            }
            None => x.to_string(),
        };
        let scaler = model.feature_scaler();
        let n = scaler.mean().len();
        let mean = self.f64s("x_mean", &[n], scaler.mean().to_vec());
        let scale = self.f64s("x_scale", &[n], scaler.scale().to_vec());
        let centred = self.bin("Sub", &transformed, &mean);
        self.bin("Div", &centred, &scale)
    }

    /// One network on the standardized `z`, in f32 as fivedreg computes it: `[N, 1]` in
    /// standardized target units, f64.
    fn network(&mut self, z32: &str, mlp: &Mlp) -> Result<String> {
        let sizes = mlp.sizes();
        let mut h = z32.to_string();
        let layers = sizes.len().saturating_sub(1);
        for l in 0..layers {
            let (fan_in, fan_out) = (sizes[l], sizes[l + 1]);
            let weights = mlp.weights(l);
            let biases = mlp.biases(l);
            if weights.len() != fan_in * fan_out || biases.len() != fan_out {
                return Err(OnnxError::Unsupported(format!(
                    "layer {} of a network holds {} weights and {} biases for {fan_in} × \
                     {fan_out}",
                    l + 1,
                    weights.len(),
                    biases.len()
                )));
            }
            let w = self.f32s("w", &[fan_in, fan_out], weights.to_vec());
            let b = self.f32s("b", &[fan_out], biases.to_vec());
            let product = self.bin("MatMul", &h, &w);
            h = self.bin("Add", &product, &b);
            if l + 1 < layers {
                h = match mlp.activation() {
                    Activation::Relu => self.unary("Relu", &h),
                    Activation::Tanh => self.unary("Tanh", &h),
                };
            }
        }
        if sizes.last() != Some(&1) {
            return Err(OnnxError::Unsupported(format!(
                "a network has {:?} outputs, not 1",
                sizes.last()
            )));
        }
        Ok(self.op("Cast", &[&h], vec![int_attr("to", DataType::Double as i64)]))
    }

    /// The radial function of `z`'s distance to each of `centers` (row-major, `d` wide):
    /// `[N, centres]`.
    fn radial(&mut self, z: &str, centers: &[f64], d: usize, kernel: RbfKernel) -> Result<String> {
        let m = centers.len() / d;
        // Squared distances summed input by input, in fivedreg's order.
        let mut r2: Option<String> = None;
        for k in 0..d {
            let column = self.columns(z, vec![dim(k)]);
            let ck = self.f64s(
                "centres",
                &[m],
                centers.chunks_exact(d).map(|c| c[k]).collect(),
            );
            let diff = self.bin("Sub", &column, &ck);
            let square = self.bin("Mul", &diff, &diff);
            r2 = Some(match r2 {
                Some(acc) => self.bin("Add", &acc, &square),
                None => square,
            });
        }
        let Some(r2) = r2 else {
            return Err(OnnxError::Unsupported(
                "a kernel model with no inputs".into(),
            ));
        };
        let r = self.unary("Sqrt", &r2);
        let rr = self.bin("Mul", &r, &r);
        let phi = match kernel {
            RbfKernel::ThinPlateSpline => {
                let log = self.unary("Log", &r);
                let value = self.bin("Mul", &rr, &log);
                let zero = self.scalar(0.0);
                let positive = self.bin("Greater", &r, &zero);
                self.op("Where", &[&positive, &value, &zero], vec![])
            }
            RbfKernel::Cubic => self.bin("Mul", &rr, &r),
            RbfKernel::Quintic => {
                let r3 = self.bin("Mul", &rr, &r);
                let r4 = self.bin("Mul", &r3, &r);
                let r5 = self.bin("Mul", &r4, &r);
                self.unary("Neg", &r5)
            }
            RbfKernel::Gaussian | RbfKernel::GaussianLinear | RbfKernel::GaussianProcess => {
                let minus_r = self.unary("Neg", &r);
                let exponent = self.bin("Mul", &minus_r, &r);
                self.unary("Exp", &exponent)
            }
        };
        Ok(phi)
    }

    /// The tail's terms of `z` (`[N, d]`) in fivedreg's order: 1, then (degree ≥ 1) each
    /// input, then (degree 2) each product `zᵢzⱼ` for `i ≤ j`; `None` without a tail.
    fn tail_terms(&mut self, z: &str, d: usize, degree: Option<usize>) -> Option<String> {
        let degree = degree?;
        let mut terms = vec![self.broadcast_rows(z, 1.0)];
        if degree >= 1 {
            terms.push(z.to_string());
        }
        if degree >= 2 {
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for i in 0..d {
                for j in i..d {
                    left.push(dim(i));
                    right.push(dim(j));
                }
            }
            let a = self.columns(z, left);
            let b = self.columns(z, right);
            terms.push(self.bin("Mul", &a, &b));
        }
        let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
        Some(self.op("Concat", &refs, vec![int_attr("axis", 1)]))
    }

    /// A kernel model's power function on the standardized `z` (see
    /// `RbfModel::power_into`): `√max(φ(0) − vᵀA⁻¹v, 0)`, `[N, 1]`.
    fn kernel_power(&mut self, z: &str, model: &RbfModel) -> Result<String> {
        let d = model.n_inputs();
        let (centers, form) = model.power_basis_parts();
        let m = centers.len() / d;
        let t = model.tail().len();
        let wrong =
            || OnnxError::Unsupported("a kernel model's std basis has the wrong size".into());
        let square = match form {
            PowerForm::Singular => return Ok(self.broadcast_rows(z, 0.0)),
            PowerForm::Saddle { inverse } => {
                let radial = self.radial(z, centers, d, model.kernel())?;
                let v = match self.tail_terms(z, d, model.kernel().degree()) {
                    Some(tail) => self.op("Concat", &[&radial, &tail], vec![int_attr("axis", 1)]),
                    None => radial,
                };
                let size = m + t;
                if inverse.len() != size * size {
                    return Err(wrong());
                }
                let a_inverse = self.f64s("power_inv", &[size, size], inverse.clone());
                let projected = self.bin("MatMul", &v, &a_inverse);
                let products = self.bin("Mul", &projected, &v);
                let q = self.row_sum(&products);
                let at_zero = self.scalar(model.kernel().phi(0.0));
                self.bin("Sub", &at_zero, &q)
            }
            PowerForm::Cholesky {
                lower_inverse_t,
                tail_basis,
                tail_inverse,
            } => {
                if lower_inverse_t.len() != m * m
                    || tail_basis.len() != m * t
                    || tail_inverse.len() != t * t
                {
                    return Err(wrong());
                }
                let k = self.radial(z, centers, d, model.kernel())?;
                // w = Z·k per row: k (N × m) times Zᵀ.
                let zt = self.f64s("power_zt", &[m, m], lower_inverse_t.clone());
                let w = self.bin("MatMul", &k, &zt);
                let w2 = self.bin("Mul", &w, &w);
                let explained = self.row_sum(&w2);
                let at_zero = self.scalar(model.kernel().phi(0.0));
                let mut square = self.bin("Sub", &at_zero, &explained);
                if let Some(p) = self.tail_terms(z, d, model.kernel().degree()) {
                    let b = self.f64s("power_b", &[m, t], tail_basis.clone());
                    let seen = self.bin("MatMul", &w, &b);
                    let r = self.bin("Sub", &p, &seen);
                    let s_inverse = self.f64s("power_s_inv", &[t, t], tail_inverse.clone());
                    let projected = self.bin("MatMul", &r, &s_inverse);
                    let products = self.bin("Mul", &projected, &r);
                    let tail_variance = self.row_sum(&products);
                    square = self.bin("Add", &square, &tail_variance);
                }
                square
            }
        };
        let clamped = self.unary("Relu", &square);
        Ok(self.unary("Sqrt", &clamped))
    }

    /// One kernel model on the standardized `z`: `[N, 1]`, standardized target units.
    fn kernel(&mut self, z: &str, model: &RbfModel) -> Result<String> {
        let d = model.n_inputs();
        let m = model.n_centers();
        let centers = model.centers();
        if centers.len() != m * d || model.weights().len() != m {
            return Err(OnnxError::Unsupported(
                "a kernel model's sizes disagree".into(),
            ));
        }
        let phi = self.radial(z, centers, d, model.kernel())?;
        let w = self.f64s("rbf_w", &[m, 1], model.weights().to_vec());
        let radial = self.bin("MatMul", &phi, &w);
        let tail = model.tail();
        let expected = match model.kernel().degree() {
            None => 0,
            Some(0) => 1,
            Some(1) => 1 + d,
            Some(_) => 1 + d + d * (d + 1) / 2,
        };
        if tail.len() != expected {
            return Err(OnnxError::Unsupported(format!(
                "a kernel model's tail has {} terms, not {expected}",
                tail.len()
            )));
        }
        let Some((&constant, rest)) = tail.split_first() else {
            return Ok(radial);
        };
        let mut value = self.plus(&radial, constant);
        if !rest.is_empty() {
            let linear = self.f64s("tail_lin", &[d, 1], rest[..d].to_vec());
            let term = self.bin("MatMul", z, &linear);
            value = self.bin("Add", &value, &term);
            let quadratic = &rest[d..];
            if !quadratic.is_empty() {
                let (mut left, mut right) = (Vec::new(), Vec::new());
                for i in 0..d {
                    for j in i..d {
                        left.push(dim(i));
                        right.push(dim(j));
                    }
                }
                let p = left.len();
                let a = self.columns(z, left);
                let b = self.columns(z, right);
                let products = self.bin("Mul", &a, &b);
                let coefficients = self.f64s("tail_quad", &[p, 1], quadratic.to_vec());
                let term = self.bin("MatMul", &products, &coefficients);
                value = self.bin("Add", &value, &term);
            }
        }
        Ok(value)
    }

    /// One boosted-tree model on the standardized `z`: `[N, 1]`, standardized target units.
    /// Level `l` of tree `t` sets bit `l` of its leaf index when the input it asks is above
    /// its border (fivedreg's `bin > border index`, which for sorted borders is `x >
    /// border`); shallower trees are padded with levels whose border is +∞ (bit 0).
    fn trees(&mut self, z: &str, model: &BoostedTrees) -> Result<String> {
        let trees = model.trees();
        let borders = model.borders();
        if trees.is_empty() {
            return Ok(self.broadcast_rows(z, model.base()));
        }
        let depth = trees.iter().map(|t| t.features.len()).max().unwrap_or(0);
        if depth > MAX_TREE_DEPTH {
            return Err(OnnxError::Unsupported(format!(
                "a tree of depth {depth} (the graph takes at most {MAX_TREE_DEPTH})"
            )));
        }
        let leaves_per_tree = 1usize << depth;
        let n_trees = trees.len();
        let mut index: Option<String> = None;
        for level in 0..depth {
            let mut features = Vec::with_capacity(n_trees);
            let mut thresholds = Vec::with_capacity(n_trees);
            for tree in trees {
                match (tree.features.get(level), tree.bins.get(level)) {
                    (Some(&f), Some(&b)) => {
                        let threshold = borders
                            .get(f as usize)
                            .and_then(|column| column.get(usize::from(b)))
                            .copied()
                            .unwrap_or(f64::INFINITY);
                        features.push(i64::from(f));
                        thresholds.push(threshold);
                    }
                    _ => {
                        features.push(0);
                        thresholds.push(f64::INFINITY);
                    }
                }
            }
            let asked = self.columns(z, features);
            let threshold = self.f64s("borders", &[n_trees], thresholds);
            let above = self.bin("Greater", &asked, &threshold);
            let bit = self.op(
                "Cast",
                &[&above],
                vec![int_attr("to", DataType::Int64 as i64)],
            );
            let weighted = if level == 0 {
                bit
            } else {
                let weight = self.i64s("bit", &[], vec![1i64 << level]);
                self.bin("Mul", &bit, &weight)
            };
            index = Some(match index {
                Some(acc) => self.bin("Add", &acc, &weighted),
                None => weighted,
            });
        }
        let mut leaves = Vec::with_capacity(n_trees * leaves_per_tree);
        for tree in trees {
            let start = leaves.len();
            leaves.extend_from_slice(&tree.leaves[..tree.leaves.len().min(leaves_per_tree)]);
            leaves.resize(start + leaves_per_tree, 0.0);
        }
        let offsets: Vec<i64> = (0..n_trees).map(|t| dim(t * leaves_per_tree)).collect();
        let offsets = self.i64s("tree_offset", &[n_trees], offsets);
        let index = match index {
            Some(index) => self.bin("Add", &index, &offsets),
            // Depth 0: each tree has one leaf; the offsets, repeated to every row.
            None => {
                let zero = self.columns(z, vec![0; n_trees]);
                let zero = self.op(
                    "Cast",
                    &[&zero],
                    vec![int_attr("to", DataType::Int64 as i64)],
                );
                let nothing = self.i64s("zero", &[], vec![0]);
                let zero = self.bin("Mul", &zero, &nothing);
                self.bin("Add", &zero, &offsets)
            }
        };
        let leaf_values = self.f64s("leaves", &[leaves.len()], leaves);
        let values = self.op("Gather", &[&leaf_values, &index], vec![int_attr("axis", 0)]);
        let sum = self.row_sum(&values);
        Ok(self.plus(&sum, model.base()))
    }

    /// One model without its blend: the members' mean `[N, 1]` and, for two or more members,
    /// their sample standard deviation `[N, 1]`, in the target's units.
    fn single(&mut self, x: &str, model: &Interpolator) -> Result<(String, Option<String>)> {
        let z = self.preprocess(x, model);
        let mut members = Vec::new();
        let mut kernel_power = None;
        match model.members() {
            Members::Networks(networks) => {
                let z32 = self.op("Cast", &[&z], vec![int_attr("to", DataType::Float as i64)]);
                for mlp in networks {
                    members.push(self.network(&z32, mlp)?);
                }
            }
            Members::Kernels(kernels) => {
                for kernel in kernels {
                    members.push(self.kernel(&z, kernel)?);
                }
                // A kernel model's spread is its power function, the members' mean of it.
                let mut powers = Vec::new();
                for kernel in kernels {
                    powers.push(self.kernel_power(&z, kernel)?);
                }
                let refs: Vec<&str> = powers.iter().map(String::as_str).collect();
                let all = self.op("Concat", &refs, vec![int_attr("axis", 1)]);
                let sum = self.row_sum(&all);
                let count = self.scalar(kernels.len() as f64);
                kernel_power = Some(self.bin("Div", &sum, &count));
            }
            Members::Trees(models) => {
                for trees in models {
                    members.push(self.trees(&z, trees)?);
                }
            }
        }
        let (y_mean, y_scale) = match (
            model.target_scaler().mean().first(),
            model.target_scaler().scale().first(),
        ) {
            (Some(&m), Some(&s)) => (m, s),
            _ => return Err(OnnxError::Unsupported("the target scaler is empty".into())),
        };
        // Each member in the target's units, as fivedreg unscales it: v · scale + mean.
        let members: Vec<String> = members
            .iter()
            .map(|m| {
                let scaled = self.times(m, y_scale);
                self.plus(&scaled, y_mean)
            })
            .collect();
        match members.as_slice() {
            [] => Err(OnnxError::Unsupported("a model without members".into())),
            // A kernel model's spread is its power function, not its members' spread.
            [one] => Ok((one.clone(), kernel_power)),
            many => {
                let k = many.len();
                let refs: Vec<&str> = many.iter().map(String::as_str).collect();
                let all = self.op("Concat", &refs, vec![int_attr("axis", 1)]);
                let sum = self.row_sum(&all);
                let count = self.scalar(k as f64);
                let mean = self.bin("Div", &sum, &count);
                if kernel_power.is_some() {
                    return Ok((mean, kernel_power));
                }
                let deviation = self.bin("Sub", &all, &mean);
                let square = self.bin("Mul", &deviation, &deviation);
                let squares = self.row_sum(&square);
                let dof = self.scalar((k - 1) as f64);
                let variance = self.bin("Div", &squares, &dof);
                let spread = self.unary("Sqrt", &variance);
                Ok((mean, Some(spread)))
            }
        }
    }
}

fn tensor_type(rows: &str, columns: Option<usize>) -> TypeProto {
    let mut dims = vec![Dimension {
        value: Some(dimension::Value::DimParam(rows.into())),
        ..Default::default()
    }];
    if let Some(c) = columns {
        dims.push(Dimension {
            value: Some(dimension::Value::DimValue(dim(c))),
            ..Default::default()
        });
    }
    TypeProto {
        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
            elem_type: Some(DataType::Double as i32),
            shape: Some(TensorShapeProto { dim: dims }),
        })),
        ..Default::default()
    }
}

fn value_info(name: &str, columns: Option<usize>, doc: String) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(tensor_type("N", columns)),
        doc_string: Some(doc),
        ..Default::default()
    }
}

/// One model's calibrated standard deviation (`[N, 1]`) from its members' `spread`, as
/// `Interpolator::predict_with_std` makes it before any blend; `None` for a model without
/// one.
fn calibrated_std(
    b: &mut Builder,
    x: &str,
    model: &Interpolator,
    spread: Option<String>,
) -> Option<String> {
    let e = model.summary().ensemble.as_ref()?;
    let quadrature = matches!(model.members(), Members::Trees(_) | Members::Kernels(_));
    Some(match spread {
        Some(spread) => {
            let scaled = b.times(&spread, e.std_scale);
            if quadrature {
                let square = b.bin("Mul", &scaled, &scaled);
                let total = b.plus(&square, e.std_floor * e.std_floor);
                b.unary("Sqrt", &total)
            } else {
                b.plus(&scaled, e.std_floor)
            }
        }
        // One network has no spread: its std is the floor alone.
        None => b.broadcast_rows(x, e.std_floor),
    })
}

/// The whole model: prediction (and std, where the model has one) from the raw inputs.
pub(crate) fn build(model: &Interpolator) -> Result<Built> {
    let mut b = Builder::default();
    let x = INPUT_NAME;
    let (mut prediction, spread) = b.single(x, model)?;
    let mut std = calibrated_std(&mut b, x, model, spread);
    if let Some(blend) = model.blend() {
        prediction = b.times(&prediction, blend.main_weight());
        let weighted_parts = blend.std_rule == BlendStd::WeightedParts;
        if weighted_parts {
            std = std.map(|s| b.times(&s, blend.main_weight()));
        }
        for part in &blend.parts {
            if part.model.blend().is_some() {
                return Err(OnnxError::Unsupported("a blend nests another blend".into()));
            }
            let (other, other_spread) = b.single(x, &part.model)?;
            let weighted = b.times(&other, part.weight);
            prediction = b.bin("Add", &prediction, &weighted);
            if weighted_parts {
                let Some(part_std) = calibrated_std(&mut b, x, &part.model, other_spread) else {
                    return Err(OnnxError::Unsupported(
                        "a blended model has no standard deviation".into(),
                    ));
                };
                let weighted_std = b.times(&part_std, part.weight);
                std = std.map(|s| b.bin("Add", &s, &weighted_std));
            }
        }
        std = std.map(|s| b.times(&s, blend.std_ratio));
    }
    let flat = b.i64s("flat", &[1], vec![-1]);
    b.op_to(
        "Reshape",
        &[&prediction, &flat],
        vec![],
        PREDICTION_NAME.into(),
    );
    let target = model.target_name();
    let mut outputs = vec![value_info(
        PREDICTION_NAME,
        None,
        format!("{target}, predicted, in its own units"),
    )];
    let has_std = if let Some(std) = std {
        b.op_to("Reshape", &[&std, &flat], vec![], STD_NAME.into());
        outputs.push(value_info(
            STD_NAME,
            None,
            format!("the calibrated standard deviation of {target}'s prediction"),
        ));
        true
    } else {
        false
    };
    let features = model.feature_names();
    let nodes = b.nodes.len();
    let graph = GraphProto {
        node: b.nodes,
        name: Some("fivedreg".into()),
        initializer: b.initializers,
        doc_string: Some(format!(
            "fivedreg model of {target}: {}",
            model.describe_member()
        )),
        input: vec![value_info(
            INPUT_NAME,
            Some(features.len()),
            format!("the raw features, in this order: {}", features.join(", ")),
        )],
        output: outputs,
        ..Default::default()
    };
    let metadata = [
        ("feature_names", features.join(",")),
        ("target_name", target.to_string()),
    ];
    let model = ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        producer_name: Some("fivedreg".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        doc_string: Some("Inputs X: raw features (double, N × features); outputs: prediction (double, N), and std where the model has one.".into()),
        graph: Some(graph),
        metadata_props: metadata
            .into_iter()
            .map(|(key, value)| StringStringEntryProto {
                key: Some(key.into()),
                value: Some(value),
            })
            .collect(),
        ..Default::default()
    };
    Ok(Built {
        model,
        nodes,
        has_std,
    })
}
