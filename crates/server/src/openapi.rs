//! The OpenAPI document of the API, generated from the handlers and types themselves.

use crate::{datasets, error, hyperparameters, jobs, models, toolkit, Health};
use utoipa::OpenApi;

/// The API's OpenAPI 3.1 description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fivedreg",
        description = "Upload data sets, train neural interpolators, and predict in the \
                       data's own units; ask a model which inputs matter, what its response \
                       looks like, where to run next and where its best value is. With \
                       `--token`, send `Authorization: Bearer <token>`."
    ),
    paths(
        crate::health,
        crate::get_hyperparameters,
        crate::openapi_json,
        datasets::create,
        datasets::list,
        datasets::get,
        datasets::delete,
        jobs::create,
        jobs::list,
        jobs::get,
        jobs::events,
        jobs::delete,
        models::list,
        models::get,
        models::file,
        models::upload,
        models::delete,
        models::predict,
        toolkit::sensitivity,
        toolkit::slice,
        toolkit::suggest,
        toolkit::optimize,
        toolkit::design,
    ),
    components(schemas(
        Health,
        error::ErrorBody,
        hyperparameters::Hyperparameters,
        hyperparameters::Hyperparameter,
        hyperparameters::Slider,
        datasets::DatasetInfo,
        datasets::ColumnStats,
        jobs::JobRequest,
        jobs::TrainOptions,
        jobs::JobRecord,
        jobs::JobState,
        jobs::JobView,
        jobs::Curves,
        jobs::CandidateScore,
        models::ModelInfo,
        models::ModelDetail,
        models::TestPredictions,
        models::ModelSource,
        models::Metrics,
        models::EnsembleInfo,
        models::PredictRequest,
        models::PredictResponse,
        toolkit::SensitivityRequest,
        toolkit::SensitivityResponse,
        toolkit::SliceRequest,
        toolkit::SliceResponse,
        toolkit::SliceData,
        toolkit::ContourData,
        toolkit::IceCurve,
        toolkit::SuggestRequest,
        toolkit::SuggestResponse,
        toolkit::OptimizeRequest,
        toolkit::OptimizeResponse,
        toolkit::DesignRequest,
        toolkit::DesignResponse,
    )),
    tags(
        (name = "service", description = "health, options, this document"),
        (name = "datasets", description = "CSV data sets"),
        (name = "jobs", description = "training jobs"),
        (name = "models", description = "models and predictions"),
        (name = "surrogate", description = "the surrogate toolkit: sensitivity, slices and maps, suggestions, optimisation, designs"),
    )
)]
pub struct ApiDoc;
