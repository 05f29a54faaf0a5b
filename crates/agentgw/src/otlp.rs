//! Optional span export over OTLP/HTTP (`[tracing] otlp_endpoint`): request spans and upstream
//! call spans, in the same W3C trace the gateway propagates (see `agentgw_core::trace`).

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;

/// Start exporting to `endpoint`; must run inside the server's runtime, where the batch
/// processor lives (a thread of its own would have no runtime for the HTTP client).
pub fn start(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .context("OTLP exporter")?;
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

/// The tracer spans are exported through.
pub fn tracer(provider: &SdkTracerProvider) -> opentelemetry_sdk::trace::Tracer {
    provider.tracer("agentgw")
}

/// Export what is buffered and stop (off the runtime thread: shutdown blocks on the batch
/// processor, which runs on that runtime).
pub async fn stop(provider: SdkTracerProvider) {
    match tokio::task::spawn_blocking(move || provider.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "span export did not finish"),
        Err(e) => tracing::warn!(error = %e, "span export did not finish"),
    }
}
