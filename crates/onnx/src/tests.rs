//! The graph's structure and the refusals. Its numbers are compared with fivedreg's by ONNX
//! Runtime in the Python package's tests (crates/python/tests/test_onnx.py).

use super::*;
use crate::proto::tensor_proto::DataType;
use crate::proto::type_proto;
use fivedreg::{FitOptions, KernelOptions, MlpParams, RbfKernel, TreeOptions};
use fivedreg_data::{generate, TestFunction};
use std::collections::HashSet;

/// Every operator the graph may use: the default domain's, none of `ai.onnx.ml`.
const OPERATORS: &[&str] = &[
    "Add",
    "Cast",
    "Concat",
    "Div",
    "Equal",
    "Exp",
    "Expand",
    "Gather",
    "Greater",
    "GreaterOrEqual",
    "Log",
    "MatMul",
    "Mul",
    "Neg",
    "Pow",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Shape",
    "Sqrt",
    "Sub",
    "Tanh",
    "Where",
];

fn fit(options: FitOptions) -> Interpolator {
    let data = generate(TestFunction::Friedman1, 240, 5, 0.1, 3).unwrap();
    Interpolator::fit(&data, &options.check().unwrap(), &mut |_| {})
        .unwrap()
        .interpolator
}

fn network(ensemble: usize, power_transform: bool) -> Interpolator {
    fit(FitOptions {
        ensemble,
        power_transform,
        network: MlpParams {
            hidden_layers: vec![8, 4],
            max_epochs: 5,
            seed: 1,
            ..Default::default()
        },
        ..Default::default()
    })
}

fn kernel(kernel: RbfKernel) -> Interpolator {
    fit(FitOptions {
        kernel: Some(KernelOptions {
            kernel,
            smoothing: 1e-2,
        }),
        ensemble: 3,
        ..Default::default()
    })
}

fn trees() -> Interpolator {
    fit(FitOptions {
        trees: Some(TreeOptions {
            trees: 20,
            learning_rate: 0.2,
            depth: 4,
            l2: 3.0,
            subsample: 1.0,
        }),
        ensemble: 3,
        ..Default::default()
    })
}

/// Decodes the exported bytes and checks what every graph must hold: the opset, the typed
/// input and outputs, known operators, and every node's inputs defined before it (the graph
/// is in topological order, as ONNX requires). Returns the decoded model.
fn check(model: &Interpolator) -> (proto::ModelProto, ExportSummary) {
    let (bytes, summary) = to_onnx_bytes(model).unwrap();
    assert_eq!(bytes.len(), summary.bytes);
    let decoded = proto::ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded.ir_version, Some(IR_VERSION));
    assert_eq!(decoded.opset_import.len(), 1);
    assert_eq!(decoded.opset_import[0].domain.as_deref(), Some(""));
    assert_eq!(decoded.opset_import[0].version, Some(OPSET));
    let graph = decoded.graph.clone().unwrap();
    assert_eq!(graph.node.len(), summary.nodes);

    assert_eq!(graph.input.len(), 1);
    let input = &graph.input[0];
    assert_eq!(input.name.as_deref(), Some(INPUT_NAME));
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.clone())
    else {
        panic!("the input is not a tensor");
    };
    assert_eq!(tensor.elem_type, Some(DataType::Double as i32));
    let dims = tensor.shape.unwrap().dim;
    assert_eq!(dims.len(), 2);
    assert_eq!(
        dims[1].value,
        Some(proto::tensor_shape_proto::dimension::Value::DimValue(
            model.feature_names().len() as i64
        ))
    );

    let outputs: Vec<&str> = graph
        .output
        .iter()
        .filter_map(|o| o.name.as_deref())
        .collect();
    let expected: &[&str] = if summary.has_std {
        &[PREDICTION_NAME, STD_NAME]
    } else {
        &[PREDICTION_NAME]
    };
    assert_eq!(outputs, expected);
    assert_eq!(summary.has_std, model.summary().ensemble.is_some());

    let mut defined: HashSet<&str> = graph
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    defined.insert(INPUT_NAME);
    for node in &graph.node {
        let op = node.op_type.as_deref().unwrap_or_default();
        assert!(OPERATORS.contains(&op), "unexpected operator {op}");
        assert!(node.domain.as_deref().unwrap_or_default().is_empty());
        for input in &node.input {
            assert!(
                defined.contains(input.as_str()),
                "{op} reads {input} before it is defined"
            );
        }
        for output in &node.output {
            assert!(defined.insert(output.as_str()), "{output} defined twice");
        }
    }
    for output in expected {
        assert!(defined.contains(output), "no node writes {output}");
    }
    (decoded, summary)
}

fn operators(model: &proto::ModelProto) -> Vec<String> {
    model
        .graph
        .iter()
        .flat_map(|g| &g.node)
        .filter_map(|n| n.op_type.clone())
        .collect()
}

#[test]
fn a_network_is_a_chain_of_matmul_add_and_relu_in_f32() {
    let model = network(1, false);
    let (decoded, summary) = check(&model);
    assert!(!summary.has_std);
    assert_eq!(summary.feature_names, model.feature_names());
    let ops = operators(&decoded);
    // Three weight layers, two hidden activations.
    assert_eq!(ops.iter().filter(|o| *o == "MatMul").count(), 3);
    assert_eq!(ops.iter().filter(|o| *o == "Relu").count(), 2);
    // The weights are f32 (as the network computes), the scalers f64.
    let graph = decoded.graph.unwrap();
    let floats = graph
        .initializer
        .iter()
        .filter(|t| t.data_type == Some(DataType::Float as i32))
        .count();
    assert_eq!(floats, 6);
    let metadata: Vec<(String, String)> = decoded
        .metadata_props
        .iter()
        .map(|p| (p.key.clone().unwrap(), p.value.clone().unwrap()))
        .collect();
    assert!(metadata.contains(&("feature_names".into(), model.feature_names().join(","))));
}

#[test]
fn an_ensemble_on_yeo_johnson_inputs_has_a_std_output() {
    let model = network(3, true);
    let (decoded, summary) = check(&model);
    assert!(summary.has_std);
    let ops = operators(&decoded);
    assert_eq!(ops.iter().filter(|o| *o == "MatMul").count(), 9);
    // One Yeo-Johnson selection per input.
    assert!(ops.iter().filter(|o| *o == "Where").count() >= 5);
    assert!(ops.iter().any(|o| o == "Pow"));
}

#[test]
fn every_kernel_function_exports() {
    for function in RbfKernel::ALL {
        let model = kernel(function);
        let (decoded, summary) = check(&model);
        assert!(summary.has_std, "{}", function.name());
        let ops = operators(&decoded);
        let exp = ops.iter().any(|o| o == "Exp");
        let gaussian = function.name().starts_with("gaussian");
        assert_eq!(exp, gaussian, "{}", function.name());
    }
}

#[test]
fn trees_are_standard_operators_not_the_ml_domain() {
    let model = trees();
    let (decoded, summary) = check(&model);
    assert!(summary.has_std);
    let ops = operators(&decoded);
    // One comparison per level of each fold model.
    assert_eq!(ops.iter().filter(|o| *o == "Greater").count(), 3 * 4);
    assert!(!ops.iter().any(|o| o.starts_with("TreeEnsemble")));
}

#[test]
fn a_blend_adds_each_part_with_its_weight() {
    let holder = kernel(RbfKernel::Cubic);
    let parts = vec![
        fivedreg::BlendPart {
            weight: 0.25,
            model: network(1, false),
        },
        fivedreg::BlendPart {
            weight: 0.25,
            model: trees(),
        },
    ];
    let saved = fivedreg::SavedModel {
        model: fivedreg::SavedModel::from(holder.clone()).model,
        blend: Some(fivedreg::Blend {
            parts,
            std_ratio: 0.8,
            std_rule: fivedreg::BlendStd::HolderTimesRatio,
        }),
    };
    let blend = Interpolator::try_from(saved).unwrap();
    let (blended, _) = check(&blend);
    let (alone, _) = check(&holder);
    let nodes = |m: &proto::ModelProto| m.graph.as_ref().map_or(0, |g| g.node.len());
    assert!(nodes(&blended) > nodes(&alone) + 10);
    let ops = operators(&blended);
    assert!(ops.iter().any(|o| o == "MatMul") && ops.iter().any(|o| o == "Greater"));
}

#[test]
fn a_graph_too_large_for_protobuf_is_refused_in_one_line() {
    assert!(check_size(MAX_FILE_BYTES).is_ok());
    let error = check_size(MAX_FILE_BYTES + 1).unwrap_err();
    assert!(matches!(error, OnnxError::Unsupported(_)));
    let message = error.to_string();
    assert!(message.starts_with("this model cannot be exported to ONNX: "));
    assert!(!message.contains('\n'));
}

#[test]
fn a_failed_write_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = network(1, false);
    let missing = dir.path().join("no such folder").join("model.onnx");
    let error = export(&model, &missing).unwrap_err();
    assert!(matches!(error, OnnxError::Write(_)));
    assert!(error.to_string().contains("no such folder"));
    assert!(!missing.exists());
    // A written file is whole, and no temporary file is left beside it.
    let path = dir.path().join("model.onnx");
    let summary = export(&model, &path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().len() as usize,
        summary.bytes
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
