//! The replacement clock (`rendered_at`, `replace_at`).

use super::*;

pub(super) fn parse_duration(v: &Value) -> Option<GoDuration> {
    v.as_str().and_then(|s| GoDuration::parse(s).ok())
}

/// `rendered_at + replace_after`; `None` past the last representable time
/// (a hand-edited state), which is never reached.
pub(super) fn due_at(rendered_at: OffsetDateTime, replace_after: GoDuration) -> Option<OffsetDateTime> {
    rendered_at.checked_add(replace_after.to_time_duration())
}

/// `rendered_at + replace_after`, or null when either is missing.
pub(super) fn replace_at(rendered_at: Option<OffsetDateTime>, replace_after: Option<GoDuration>) -> Value {
    match rendered_at.zip(replace_after).and_then(|(t, d)| due_at(t, d)) {
        Some(at) => Value::from(format_rfc3339(at)),
        None => Value::Null,
    }
}

/// What a refresh makes of the clock. A state without `rendered_at` (written
/// by a provider version without it) starts its clock now, so upgrading
/// never makes every config due at once. A config whose `replace_at` has
/// passed is marked due by clearing `replace_at` while `replace_after` is
/// set; the plan then re-renders it.
pub(super) fn refresh_clock(state: &mut Value, now: OffsetDateTime) {
    let replace_after = parse_duration(state.get("replace_after"));
    match state.get("rendered_at").as_str().and_then(parse_rfc3339) {
        None => {
            let now = now.replace_nanosecond(0).unwrap_or(now);
            state.set("rendered_at", Value::from(format_rfc3339(now)));
            state.set("replace_at", replace_at(Some(now), replace_after));
        }
        Some(t) => {
            if replace_after.and_then(|d| due_at(t, d)).is_some_and(|at| now >= at) {
                state.set("replace_at", Value::Null);
            }
        }
    }
}

/// The planned `rendered_at` and `replace_at`. A config the refresh marked
/// due (and still due under the configured `replace_after`) gets a new
/// `rendered_at` at apply, and a warning saying why; otherwise `rendered_at`
/// keeps its value whatever else is re-rendered.
pub(super) fn plan_clock(plan: &mut Plan, now: OffsetDateTime, diags: &mut Diagnostics) {
    let configured = plan.config.get("replace_after").clone();
    let Some(prior) = &plan.prior else {
        plan.planned.set("rendered_at", Value::unknown());
        plan.planned.set("replace_at", if configured.is_null() { Value::Null } else { Value::unknown() });
        return;
    };
    let rendered_at = prior.get("rendered_at").as_str().and_then(parse_rfc3339);
    let marked = prior.get("replace_at").is_null() && !prior.get("replace_after").is_null();
    let due = rendered_at.zip(parse_duration(&configured)).and_then(|(t, d)| due_at(t, d));
    if let Some(due) = due.filter(|at| marked && now >= *at) {
        plan.planned.set("rendered_at", Value::unknown());
        plan.planned.set("replace_at", Value::unknown());
        diags.push(
            Diagnostic::warning(
                "Node config due for replacement",
                format!(
                    "replace_at ({}) has passed, so this apply renders the config again, stores it and sets a new rendered_at. Machines already booted from it keep running until they are replaced: one with lifecycle {{ replace_triggered_by = [kubeadm_ignition_config.<this config>.rendered_at] }} (or the whole kubeadm_ignition_config, which also rolls it on every other change) is replaced in this apply. Replace control planes one at a time.",
                    format_rfc3339(due)
                ),
            )
            .at(AttrPath::attr("replace_after")),
        );
        return;
    }
    plan.planned.set("rendered_at", prior.get("rendered_at").clone());
    plan.planned.set(
        "replace_at",
        if configured.is_unknown() { Value::unknown() } else { replace_at(rendered_at, parse_duration(&configured)) },
    );
}

/// The clock of a stored config: a new generation starts now when the plan
/// left `rendered_at` unknown, else it keeps the planned one.
pub(super) fn apply_clock(state: &mut Value, planned: &Value, config: &Value, now: OffsetDateTime) {
    let rendered_at = match planned.get("rendered_at") {
        v if v.is_unknown() => Value::from(format_rfc3339(now)),
        v => v.clone(),
    };
    let at = replace_at(rendered_at.as_str().and_then(parse_rfc3339), parse_duration(config.get("replace_after")));
    state.set("rendered_at", rendered_at);
    state.set("replace_at", at);
}
