//! The request id a job is written with. The HTTP layer runs each request inside
//! [`with_request_id`], and the worker runs each job inside it with the job's own id,
//! so every job written meanwhile (a submission's first job, the emails routing
//! queues) carries the id of the request that started the chain, without each
//! repository method taking it as an argument.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: Option<String>;
}

/// Runs `work` with `request_id` as the id given to the jobs it writes.
pub async fn with_request_id<F: Future>(request_id: Option<String>, work: F) -> F::Output {
    REQUEST_ID.scope(request_id, work).await
}

/// The request id in force on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_seen_inside_the_scope_only() {
        assert_eq!(current_request_id(), None);
        let inside = with_request_id(Some("abc".into()), async { current_request_id() }).await;
        assert_eq!(inside.as_deref(), Some("abc"));
        assert_eq!(current_request_id(), None);
    }
}
