//! The hook entries of the agents whose configuration is JSON, in its two shapes: matcher groups
//! (Claude Code, Gemini CLI: `hooks.EVENT[] = {matcher, hooks: [handler]}`) and flat lists
//! (Cursor, Copilot: `hooks.EVENT[] = handler`). cheqpoint's own handler is the one whose command
//! runs `cheqpoint hook`; installing removes it and adds it anew at the end (so a second install
//! writes the same bytes), uninstalling removes it and whatever is left empty.

use super::json::Json;

/// Whether `handler` is cheqpoint's (its command, under any of `keys`, runs `cheqpoint hook`).
fn is_ours(handler: &Json, keys: &[&str]) -> bool {
    keys.iter().any(|key| {
        handler
            .get(key)
            .and_then(Json::as_str)
            .is_some_and(|command| command.contains("cheqpoint hook "))
    })
}

/// The array at `hooks.EVENT` of `doc`, made when absent.
fn event_list<'a>(doc: &'a mut Json, event: &str) -> Result<&'a mut Vec<Json>, String> {
    let hooks = doc.entry("hooks", Json::object())?;
    match hooks.entry(event, Json::Array(Vec::new()))? {
        Json::Array(list) => Ok(list),
        _ => Err(format!("`hooks.{event}` is not an array")),
    }
}

/// Removes cheqpoint's handlers from `hooks.EVENT` (groups or flat), then whatever that left
/// empty: the group, the event's list, `hooks`.
pub(super) fn remove(doc: &mut Json, event: &str, keys: &[&str]) -> Result<(), String> {
    if !matches!(doc, Json::Object(_)) {
        return Err("the file is not a JSON object".into());
    }
    let Some(hooks) = doc.get_mut("hooks") else {
        return Ok(());
    };
    if !matches!(hooks, Json::Object(_)) {
        return Err("`hooks` is not an object".into());
    }
    let list = match hooks.get_mut(event) {
        None => return Ok(()),
        Some(Json::Array(list)) => list,
        Some(_) => return Err(format!("`hooks.{event}` is not an array")),
    };
    list.retain_mut(|entry| match entry.get_mut("hooks") {
        Some(Json::Array(handlers)) => {
            handlers.retain(|handler| !is_ours(handler, keys));
            !handlers.is_empty()
        }
        _ => !is_ours(entry, keys),
    });
    if list.is_empty() {
        hooks.remove(event);
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    Ok(())
}

/// Adds `{matcher, hooks: [handler]}` at the end of `hooks.EVENT`, after removing cheqpoint's.
pub(super) fn add_group(
    doc: &mut Json,
    event: &str,
    matcher: &str,
    handler: Json,
) -> Result<(), String> {
    remove(doc, event, &["command"])?;
    let mut group = Json::object();
    group.set("matcher", Json::string(matcher))?;
    group.set("hooks", Json::Array(vec![handler]))?;
    event_list(doc, event)?.push(group);
    Ok(())
}

/// Adds `handler` at the end of `hooks.EVENT`, after removing cheqpoint's.
pub(super) fn add_flat(
    doc: &mut Json,
    event: &str,
    keys: &[&str],
    handler: Json,
) -> Result<(), String> {
    remove(doc, event, keys)?;
    event_list(doc, event)?.push(handler);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler(command: &str) -> Json {
        let mut handler = Json::object();
        handler.set("command", Json::string(command)).unwrap();
        handler
    }

    #[test]
    fn ours_is_replaced_and_removed_and_the_rest_kept() {
        let text = r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"command": "lint"}]}]}, "model": "x"}"#;
        let mut doc = Json::parse(text).unwrap();
        add_group(
            &mut doc,
            "PreToolUse",
            "Write",
            handler("cheqpoint hook claude-code"),
        )
        .unwrap();
        let once = doc.write_like(None);
        add_group(
            &mut doc,
            "PreToolUse",
            "Write",
            handler("cheqpoint hook claude-code"),
        )
        .unwrap();
        assert_eq!(doc.write_like(None), once);
        assert!(
            once.contains("lint") && once.contains("\"Write\""),
            "{once}"
        );
        remove(&mut doc, "PreToolUse", &["command"]).unwrap();
        assert_eq!(doc, Json::parse(text).unwrap());
        let mut alone = Json::object();
        add_flat(&mut alone, "preToolUse", &["bash"], {
            let mut h = Json::object();
            h.set("bash", Json::string("cheqpoint hook copilot"))
                .unwrap();
            h
        })
        .unwrap();
        remove(&mut alone, "preToolUse", &["bash"]).unwrap();
        assert_eq!(alone, Json::object());
        assert!(remove(&mut Json::Array(vec![]), "x", &["command"]).is_err());
    }
}
