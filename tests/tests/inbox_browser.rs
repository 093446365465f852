//! The review inbox in a real browser (headless Chromium): a gated function's request appears
//! live, its details are shown as text, the JSON editor refuses bad JSON and shows each changed
//! field before → after, and an edited approval reaches the function and its callback; the
//! keyboard works the inbox; high risk asks for a confirmation; the history filters; the event
//! stream comes back after a restart; a page of another origin cannot decide, inject a fault or
//! restart. Saves screenshots of the inbox to `target/inbox.png` and `target/inbox-dark.png`; copy
//! them to `docs/` when the page changes.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; where they are missing, the tests are
//! reported ignored with the line that installs them, and fail under `CI=true` (see
//! `harness/mod.rs`).

mod browser;
mod common;
mod harness;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use browser::{CHROMIUM, REBOUND_HOST, Site, prefer_dark, with_browser};
use cheqpoint::{ApprovalRequest, Client, Error, Priority, Trace, checkpoint};
use cheqpoint_emulator::{Emulator, Status};
use common::KEY;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client as Page, Locator};
use serde_json::json;

/// A details value that would run script if the page parsed it as HTML.
const XSS: &str = "<img src=x onerror=alert(1)>";

const REVIEW_TOKEN: &str = "inbox-test-token";

const WEBHOOK_SECRET: &str = "inbox-test-webhook-secret";

/// How long any one thing may take to show up.
const PATIENCE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let mut tests = harness::tests!(Some(&CHROMIUM) =>
        a_reviewer_edits_and_approves_in_the_inbox,
        the_keyboard_works_through_the_inbox,
        a_high_risk_approval_is_confirmed_with_a_note_and_a_reason,
        the_history_filters_by_status_action_and_search,
        the_event_stream_comes_back_after_a_restart,
        a_grant_request_reads_as_a_grant,
        a_page_of_another_origin_cannot_decide_inject_or_restart,
    );
    tests.extend(harness::tests!(None => a_missing_program_is_an_ignored_test_with_its_install_line_except_on_ci));
    harness::main(tests)
}

#[checkpoint(client = client, action = "send_email", risk = 0.55,
             summary = "Email {to}: {subject}",
             justification = "The user asked for the quarterly report to go out today.",
             skip(client, sent))]
async fn send_email(
    client: &Client,
    sent: &AtomicUsize,
    to: String,
    subject: String,
    body: String,
) -> Result<String, Error> {
    sent.fetch_add(1, SeqCst);
    Ok(format!("sent {subject:?} to {to} ({} bytes)", body.len()))
}

async fn a_reviewer_edits_and_approves_in_the_inbox() {
    with_browser(|page: Page| async move {
        let emulator = Emulator::builder()
            .api_key(KEY)
            .review_token(REVIEW_TOKEN)
            .webhook_secret(WEBHOOK_SECRET)
            .auto_approve_below(0.1)
            .expiry(Duration::from_secs(10 * 60))
            .start()
            .await
            .unwrap();
        // Decisions come back to this client by callback too, so the card shows a delivery.
        let client = Client::builder()
            .api_key(KEY)
            .base_url(emulator.url())
            .timeout(Duration::from_secs(20))
            .webhook_secret(WEBHOOK_SECRET)
            .listen_for_callbacks(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .build()
            .unwrap();
        // Decided by a rule at once, so that the decided list is not empty from the start.
        common::client(&emulator)
            .request_async(
                ApprovalRequest::new("read_calendar", "Read next week's calendar")
                    .details(json!({"week": 48}))
                    .risk(0.05),
            )
            .await
            .unwrap();

        page.goto(&emulator.inbox_url()).await.unwrap();
        find(&page, "#connection[data-state='live']").await;
        let address = page.current_url().await.unwrap();
        assert_eq!(address.query(), None, "the token stays in the address bar");

        let sent = AtomicUsize::new(0);
        let call = send_email(
            &client,
            &sent,
            "ada@example.com".into(),
            "Quarterly report".into(),
            XSS.into(),
        );
        let review = async {
            let request = emulator.next_pending(PATIENCE).await.unwrap();
            let card = find(&page, &format!("#pending [data-id='{}']", request.id)).await;
            review_with_an_edit(&page, &card, &emulator, &request.id, &sent).await;
            request.id
        };
        let (result, id) = tokio::join!(call, review);
        assert_eq!(
            result.unwrap(),
            format!(
                "sent \"Quarterly report (final)\" to ada@example.com ({} bytes)",
                XSS.len()
            )
        );
        assert_eq!(sent.load(SeqCst), 1, "the body ran once");

        let decided = find(&page, &format!("#decided [data-id='{id}']")).await;
        // Lower case: labels are shown in capitals.
        let text = decided.text().await.unwrap().to_lowercase();
        for shown in [
            "approved",
            "edited",
            "a reviewer",
            "marked final, as the user asked.",
        ] {
            assert!(text.contains(shown), "{shown:?} in {text:?}");
        }
        let change = find_in(&decided, ".change").await.text().await.unwrap();
        assert_eq!(
            change.split_whitespace().collect::<Vec<_>>().join(" "),
            r#"subject: "Quarterly report" → "Quarterly report (final)""#
        );
        let delivery = find_in(&decided, ".delivery[data-state='ok']").await;
        let delivery = delivery.text().await.unwrap();
        assert!(delivery.contains("answered 200"), "{delivery}");
        assert!(delivery.contains("/cheqpoint/callbacks"), "{delivery}");
        eventually("the card to leave the pending list", async || {
            let left = page.find_all(Locator::Css("#pending .card")).await.ok()?;
            left.is_empty().then_some(())
        })
        .await;

        // A request's review URL opens the inbox on it; it carries no token, which the page
        // remembers from its first visit.
        let pause = client.request_async(pause_request()).await.unwrap();
        let refund = client.create_request(&refund_request()).await.unwrap();
        let review_url = format!("{}/#/approvals/{}", emulator.url(), refund.id);
        page.goto(&review_url).await.unwrap();
        let card = find(
            &page,
            &format!("#pending .focused[data-id='{}']", refund.id),
        )
        .await;
        find_in(&card, ".trace .step").await;
        let paused = find(
            &page,
            &format!("#pending [data-id='{}']", pause.approval_id),
        )
        .await;
        let metadata = find_in(&paused, ".metadata").await.text().await.unwrap();
        assert!(
            metadata.contains("ticket") && metadata.contains("T-4471"),
            "{metadata}"
        );
        let expires = find_in(&card, ".expires").await;
        let first = expires.text().await.unwrap();
        assert!(first.starts_with("expires in 9 min "), "{first}");
        eventually("the expiry to count down", async || {
            (expires.text().await.ok()? != first).then_some(())
        })
        .await;
        save_screenshots(&page).await;
    })
    .await;
}

/// Checks that the card shows its details as text, then edits the subject: first to bad JSON,
/// which must be refused on the page, then to a change that Reset undoes, then to good JSON,
/// approved.
async fn review_with_an_edit(
    page: &Page,
    card: &Element,
    emulator: &Emulator,
    id: &str,
    sent: &AtomicUsize,
) {
    let details = card.find(Locator::Css("pre.json")).await.unwrap();
    let shown = details.text().await.unwrap();
    assert!(shown.contains(&format!("\"body\": \"{XSS}\"")), "{shown}");
    assert!(
        page.find_all(Locator::Css("img")).await.unwrap().is_empty(),
        "the details were parsed as HTML"
    );

    button(card, "Edit, then approve")
        .await
        .click()
        .await
        .unwrap();
    let editor = card.find(Locator::Css("textarea.editor")).await.unwrap();
    let prefilled = editor.prop("value").await.unwrap().unwrap();
    let details: serde_json::Value = serde_json::from_str(&prefilled).unwrap();
    assert_eq!(details["subject"], "Quarterly report");

    editor.clear().await.unwrap();
    editor
        .send_keys(r#"{"to": "ada@example.com", "#)
        .await
        .unwrap();
    button(card, "Approve with these details")
        .await
        .click()
        .await
        .unwrap();
    let error = find_in(card, ".field-error").await;
    assert!(error.text().await.unwrap().starts_with("Not valid JSON"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        emulator.get(id).unwrap().status,
        Status::Pending,
        "bad JSON was sent"
    );
    assert_eq!(sent.load(SeqCst), 0);

    // The changes are shown as they are typed; Reset brings back the details as sent.
    type_into(
        &editor,
        &json!({"to": "bob@example.com", "body": XSS}).to_string(),
    )
    .await;
    let preview = find_in(card, ".diff-preview .diff")
        .await
        .text()
        .await
        .unwrap();
    for shown in [
        r#"to: "ada@example.com" → "bob@example.com""#,
        r#"subject: "Quarterly report" → removed"#,
    ] {
        assert!(
            one_line(&preview).contains(shown),
            "{shown:?} in {preview:?}"
        );
    }
    button(card, "Reset").await.click().await.unwrap();
    assert_eq!(editor.prop("value").await.unwrap().unwrap(), prefilled);
    find_in(card, ".diff-preview .muted").await;

    let edited =
        json!({"to": "ada@example.com", "subject": "Quarterly report (final)", "body": XSS});
    type_into(&editor, &edited.to_string()).await;
    let form = find_in(card, "form:not([hidden])").await;
    type_into(
        &form.find(Locator::Css("textarea.note")).await.unwrap(),
        "Marked final, as the user asked.",
    )
    .await;
    button(card, "Approve with these details")
        .await
        .click()
        .await
        .unwrap();
}

/// A request with an agent, a priority and metadata, for `request_async` (the route that takes
/// them).
fn pause_request() -> ApprovalRequest {
    ApprovalRequest::new(
        "pause_subscription",
        "Pause the Team plan of cus_92F3 for one month",
    )
    .details(json!({"customer": "cus_92F3", "plan": "team", "months": 1}))
    .risk(0.5)
    .agent_name("billing-agent")
    .priority(Priority::Urgent)
    .metadata(json!({"ticket": "T-4471", "channel": "email"}))
}

/// A request with a high risk, the agent's reasoning and its trace.
fn refund_request() -> ApprovalRequest {
    ApprovalRequest::new("process_refund", "Refund 12,000 cents on order 8842")
        .details(json!({"order_id": "8842", "amount_cents": 12000, "currency": "EUR"}))
        .risk(0.85)
        .justification("The customer reports a double charge; the ledger shows two captures.")
        .trace(
            Trace::new()
                .thought("The customer says they were charged twice for order 8842.")
                .tool_call("ledger.lookup(order_id=\"8842\")")
                .observation("Two captures of 12,000 cents, 40 seconds apart.")
                .model("gpt-4o")
                .total_tokens(1830),
        )
}

async fn the_keyboard_works_through_the_inbox() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        let client = common::client(&emulator);
        let mut ids = Vec::new();
        for n in 1..=3 {
            let request = ApprovalRequest::new("send_invoice", format!("Send invoice {n}"))
                .details(json!({"invoice": n}))
                .risk(0.3);
            ids.push(client.create_request(&request).await.unwrap().id);
        }
        page.goto(&emulator.url()).await.unwrap();
        find(&page, "#connection[data-state='live']").await;
        find(&page, &format!("#pending [data-id='{}']", ids[0])).await;

        // Newest first: j moves down the list, k back up.
        press(&page, 'j').await;
        is_selected(&page, &ids[2]).await;
        press(&page, 'j').await;
        press(&page, 'j').await;
        press(&page, 'k').await;
        is_selected(&page, &ids[1]).await;

        // `a` approves the selected request; the next pending one is selected.
        press(&page, 'a').await;
        eventually("the approval", async || {
            (emulator.get(&ids[1])?.status == Status::Approved).then_some(())
        })
        .await;
        is_selected(&page, &ids[0]).await;

        // `r` opens the note; Ctrl+Enter sends the rejection.
        press(&page, 'r').await;
        let note = page.active_element().await.unwrap();
        assert_eq!(note.attr("class").await.unwrap().as_deref(), Some("note"));
        type_into(&note, "Invoice 1 went out yesterday.").await;
        let send = format!("{}{}", char::from(Key::Control), char::from(Key::Enter));
        note.send_keys(&send).await.unwrap();
        eventually("the rejection", async || {
            let record = emulator.get(&ids[0])?;
            (record.status == Status::Rejected).then_some(record)
        })
        .await;
        assert_eq!(
            emulator.get(&ids[0]).unwrap().decision_note.as_deref(),
            Some("Invoice 1 went out yesterday.")
        );
        is_selected(&page, &ids[2]).await;

        // `e` opens the editor of the selected request; Escape closes it.
        press(&page, 'e').await;
        let editor = page.active_element().await.unwrap();
        assert_eq!(
            editor.attr("class").await.unwrap().as_deref(),
            Some("editor")
        );
        press(&page, Key::Escape.into()).await;
        is_selected(&page, &ids[2]).await;
        assert!(!editor.is_displayed().await.unwrap());

        // `?` shows the help, and hides it again.
        press(&page, '?').await;
        let help = find(&page, "#help[open]").await;
        assert!(
            help.text()
                .await
                .unwrap()
                .contains("next / previous request")
        );
        press(&page, '?').await;
        eventually("the help to close", async || {
            page.find_all(Locator::Css("#help[open]"))
                .await
                .ok()?
                .is_empty()
                .then_some(())
        })
        .await;

        // A new request is announced to screen readers.
        let announcer = page.find(Locator::Css("#announcer")).await.unwrap();
        assert_eq!(
            announcer.attr("aria-live").await.unwrap().as_deref(),
            Some("polite")
        );
        client
            .create_request(&ApprovalRequest::new(
                "delete_branch",
                "Delete branch old-ui",
            ))
            .await
            .unwrap();
        eventually("the announcement", async || {
            let said = announcer.text().await.ok()?;
            (said == "New request: delete_branch: Delete branch old-ui").then_some(())
        })
        .await;
    })
    .await;
}

async fn a_high_risk_approval_is_confirmed_with_a_note_and_a_reason() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        let client = common::client(&emulator);
        let refund = client.create_request(&refund_request()).await.unwrap();
        page.goto(&emulator.url()).await.unwrap();
        let card = find(&page, &format!("#pending [data-id='{}']", refund.id)).await;

        button(&card, "Approve…").await.click().await.unwrap();
        let warning = find_in(&card, ".warning").await.text().await.unwrap();
        assert!(warning.starts_with("High risk"), "{warning}");
        assert_eq!(
            emulator.get(&refund.id).unwrap().status,
            Status::Pending,
            "one click approved a high-risk request"
        );
        let form = find_in(&card, "form:not([hidden])").await;
        type_into(
            &form.find(Locator::Css("textarea.note")).await.unwrap(),
            "Checked the two captures in the ledger.",
        )
        .await;
        type_into(
            &form.find(Locator::Css("input.reason")).await.unwrap(),
            "duplicate_charge",
        )
        .await;
        button(&card, "Confirm approval")
            .await
            .click()
            .await
            .unwrap();

        let record = eventually("the approval", async || {
            let record = emulator.get(&refund.id)?;
            (record.status == Status::Approved).then_some(record)
        })
        .await;
        assert_eq!(
            record.decision_note.as_deref(),
            Some("Checked the two captures in the ledger.")
        );
        assert_eq!(
            record.decision_reason_code.as_deref(),
            Some("duplicate_charge")
        );
        let decided = find(&page, &format!("#decided [data-id='{}']", refund.id)).await;
        let text = decided.text().await.unwrap();
        assert!(text.contains("duplicate_charge"), "{text}");
    })
    .await;
}

async fn the_history_filters_by_status_action_and_search() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        let client = common::client(&emulator);
        let mut decided = Vec::new();
        for (action, summary, approve) in [
            ("send_email", "Email the board", true),
            ("send_email", "Email the auditors", false),
            ("process_refund", "Refund order 8842", true),
            ("process_refund", "Refund order 9120", false),
        ] {
            let request = ApprovalRequest::new(action, summary).details(json!({"n": summary}));
            let id = client.create_request(&request).await.unwrap().id;
            if approve {
                emulator.approve(&id).unwrap();
            } else {
                emulator.reject(&id, "not now").unwrap();
            }
            decided.push(id);
        }
        page.goto(&emulator.url()).await.unwrap();
        find(&page, &format!("#decided [data-id='{}']", decided[3])).await;

        let shown = async || {
            let mut ids = Vec::new();
            for card in page.find_all(Locator::Css("#decided .card")).await.unwrap() {
                if card.is_displayed().await.unwrap() {
                    ids.push(card.attr("data-id").await.unwrap().unwrap());
                }
            }
            ids.sort();
            ids
        };
        let expect = |indexes: &[usize]| {
            let mut ids: Vec<String> = indexes.iter().map(|&i| decided[i].clone()).collect();
            ids.sort();
            ids
        };
        let shows = async |indexes: &[usize]| {
            let expected = expect(indexes);
            eventually(&format!("the cards {indexes:?}"), async || {
                (shown().await == expected).then_some(())
            })
            .await;
        };
        shows(&[0, 1, 2, 3]).await;

        choose(&page, "#filter-status", "REJECTED").await;
        shows(&[1, 3]).await;
        choose(&page, "#filter-action", "process_refund").await;
        shows(&[3]).await;
        choose(&page, "#filter-status", "").await;
        shows(&[2, 3]).await;
        let search = page.find(Locator::Css("#filter-search")).await.unwrap();
        type_into(&search, "8842").await;
        shows(&[2]).await;
        let count = page.find(Locator::Css("#decided-count")).await.unwrap();
        assert_eq!(count.text().await.unwrap(), "1 of 4");
        type_into(&search, "no such words").await;
        shows(&[]).await;
        find(&page, "#decided-none-match").await;

        // A refresh that brings no new action leaves the action list as it is (rebuilding it
        // would close it under the reviewer's pointer).
        let option = page
            .find(Locator::Css("#filter-action option[value='send_email']"))
            .await
            .unwrap();
        let request = ApprovalRequest::new("send_email", "Email the team");
        let id = client.create_request(&request).await.unwrap().id;
        find(&page, &format!("#pending [data-id='{id}']")).await;
        assert_eq!(
            option.text().await.unwrap(),
            "send_email",
            "the list was rebuilt"
        );
    })
    .await;
}

async fn the_event_stream_comes_back_after_a_restart() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        page.goto(&emulator.url()).await.unwrap();
        find(&page, "#connection[data-state='live']").await;

        // The restart cuts the stream; the port stays closed a moment, so the page must try
        // again more than once.
        emulator.inject("any:refuse,for=1500ms".parse().unwrap());
        emulator.restart();
        find(&page, "#connection[data-state='reconnecting']").await;
        find(&page, "#connection[data-state='live']").await;

        let client = common::client(&emulator);
        let request = ApprovalRequest::new("rotate_keys", "Rotate the signing keys");
        let id = client.create_request(&request).await.unwrap().id;
        find(&page, &format!("#pending [data-id='{id}']")).await;
        let banner = page.find(Locator::Css("#banner")).await.unwrap();
        eventually("the banner to go", async || {
            banner.attr("hidden").await.ok()?.map(|_| ())
        })
        .await;
    })
    .await;
}

async fn a_grant_request_reads_as_a_grant() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        let client = common::client(&emulator);
        let grant = cheqpoint::policy::grants::Grant::new("claude_code.Bash")
            .command(["npm test *"])
            .uses(50);
        let id = client.create_request(&grant.request()).await.unwrap().id;
        page.goto(&emulator.url()).await.unwrap();
        let card = find(&page, &format!("#pending [data-id='{id}']")).await;
        let said = one_line(&find_in(&card, ".grant").await.text().await.unwrap());
        for words in [
            "A grant: approving lets claude_code.Bash run the calls below with nobody asked",
            "commands: `npm test *`",
            "for 1 h, at most 50 uses, everywhere",
            "A wider edit grants nothing.",
        ] {
            assert!(said.contains(words), "{words} missing from: {said}");
        }
    })
    .await;
}

async fn a_page_of_another_origin_cannot_decide_inject_or_restart() {
    with_browser(|page: Page| async move {
        let emulator = common::emulator().await;
        let client = common::client(&emulator);
        let refund = client.create_request(&refund_request()).await.unwrap();
        let attacker = Site::start(Router::new().route("/", get(Html(ATTACK_PAGE)))).await;

        let target = format!(
            "{}/?emulator={}&id={}",
            attacker.url,
            emulator.url(),
            refund.id
        );
        page.goto(&target).await.unwrap();
        let outcome = eventually("the attack page to finish", async || {
            let title = page.title().await.ok()?;
            title.strip_prefix("done ").map(str::to_owned)
        })
        .await;
        // Every attempt reached the emulator and got an answer (a refusal is still an answer).
        let outcome: serde_json::Value = serde_json::from_str(&outcome).unwrap();
        for (attempt, result) in outcome.as_object().unwrap() {
            assert_ne!(result, "unanswered", "{attempt} never reached the emulator");
        }

        let record = emulator
            .get(&refund.id)
            .expect("the request was forgotten: restarted");
        assert_eq!(record.status, Status::Pending);
        assert_eq!(
            emulator.faults(),
            Vec::<String>::new(),
            "a fault was injected"
        );

        // DNS rebinding: the attacker's name now points at 127.0.0.1, so its page shares the
        // emulator's origin and may send JSON with any header.
        let rebound = format!("http://{REBOUND_HOST}:{}", emulator.addr().port());
        page.goto(&format!("{rebound}/")).await.unwrap();
        let answers = page
            .execute_async(REBOUND_ATTACK, vec![json!(refund.id)])
            .await
            .unwrap();
        assert_eq!(
            answers,
            json!([403, 403, 403, 403]),
            "read, decide, inject, restart"
        );
        let record = emulator.get(&refund.id).expect("restarted");
        assert_eq!(record.status, Status::Pending);
        assert_eq!(emulator.faults(), Vec::<String>::new());
    })
    .await;
}

/// Run in a page of the rebound name: reads the requests, approves one, injects a fault and
/// restarts, and hands back the HTTP status of each.
const REBOUND_ATTACK: &str = r#"
const [id, done] = arguments;
const json = (body) => ({method: 'POST', headers: {'content-type': 'application/json'}, body});
Promise.all([
  fetch('/emulator/approvals'),
  fetch(`/emulator/approvals/${id}/decision`, json('{"decision": "approve"}')),
  fetch('/emulator/faults', json('{"fault": "get:status=APPROVED"}')),
  fetch('/emulator/restart', {method: 'POST'}),
]).then((answers) => done(answers.map((answer) => answer.status)), (error) => done(String(error)));
"#;

/// What a foreign web page can send the emulator: simple requests (no preflight) with a JSON
/// body typed `text/plain`, a preflighted JSON request, and form posts into hidden frames. It
/// writes `done {attempt: outcome}` into its title when every attempt has settled.
const ATTACK_PAGE: &str = r#"<!doctype html>
<title>attacking</title>
<iframe name="sink-restart"></iframe><iframe name="sink-decide"></iframe>
<form id="restart" method="post" target="sink-restart"></form>
<form id="decide" method="post" target="sink-decide" enctype="text/plain">
  <input name='{"decision": "approve", "padding": "' value='"}'>
</form>
<script>
const query = new URLSearchParams(location.search);
const emulator = query.get('emulator');
const decision = `${emulator}/emulator/approvals/${query.get('id')}/decision`;
const answered = (promise) => promise.then(() => 'answered', () => 'unanswered');
const plain = (url, body) => answered(fetch(url, {
  method: 'POST', mode: 'no-cors', headers: {'content-type': 'text/plain'}, body,
}));
const framed = (form, url) => new Promise((resolve) => {
  const sink = document.querySelector(`iframe[name="${form.target}"]`);
  sink.addEventListener('load', () => resolve('answered'), {once: true});
  form.action = url;
  form.submit();
});
Promise.all([
  plain(decision, '{"decision": "approve"}'),
  plain(`${emulator}/emulator/faults`, '{"fault": "get:status=APPROVED"}'),
  plain(`${emulator}/emulator/restart`, ''),
  fetch(decision, {method: 'POST', headers: {'content-type': 'application/json'},
                   body: '{"decision": "approve"}'})
    .then(() => 'answered', () => 'blocked by the browser'),
  framed(document.getElementById('decide'), decision),
  framed(document.getElementById('restart'), `${emulator}/emulator/restart`),
]).then((results) => {
  const names = ['approve', 'fault', 'restart', 'approve with JSON', 'approve by form', 'restart by form'];
  document.title = 'done ' + JSON.stringify(Object.fromEntries(names.map((name, i) => [name, results[i]])));
});
</script>"#;

async fn a_missing_program_is_an_ignored_test_with_its_install_line_except_on_ci() {
    let missing = harness::Needs {
        what: "Chromium",
        installed: || false,
        packages: "chromium chromium-driver",
    };
    let reason = "Chromium is not installed: apt-get install -y chromium chromium-driver";
    assert_eq!(
        harness::verdict(Some(&missing), None),
        Ok(Some(reason.into()))
    );
    assert_eq!(
        harness::verdict(Some(&missing), Some("false")),
        Ok(Some(reason.into()))
    );
    for ci in ["true", "1"] {
        assert_eq!(
            harness::verdict(Some(&missing), Some(ci)),
            Err(format!("{reason} (CI runs every test)")),
            "CI={ci} fails, never skips"
        );
    }
    let present = harness::Needs {
        installed: || true,
        ..missing
    };
    assert_eq!(harness::verdict(Some(&present), Some("true")), Ok(None));
    assert_eq!(harness::verdict(None, None), Ok(None));
}

/// The inbox as it looks now, light and dark (the window grown to the page's height), kept in
/// `target/` (not in the tracked `docs/`, so running the tests leaves the tree clean).
async fn save_screenshots(page: &Page) {
    let height = page
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight",
            vec![],
        )
        .await
        .unwrap();
    let height = u32::try_from(height.as_u64().unwrap()).unwrap();
    page.set_window_size(1280, height).await.unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target).unwrap();
    for (dark, name) in [(false, "inbox.png"), (true, "inbox-dark.png")] {
        prefer_dark(page, dark).await;
        // Colours change with a short transition: let it end.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let png = page.screenshot().await.unwrap();
        std::fs::write(target.join(name), png).unwrap();
    }
}

/// Presses and releases `key` on the page, wherever the focus is.
async fn press(page: &Page, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    page.perform_actions(keys).await.unwrap();
}

/// Waits for the card of request `id` to have the focus.
async fn is_selected(page: &Page, id: &str) {
    eventually(&format!("{id} to be selected"), async || {
        let focused = page.active_element().await.ok()?;
        (focused.attr("data-id").await.ok()?? == id).then_some(())
    })
    .await;
}

/// Replaces what `field` holds with `text`, typed.
async fn type_into(field: &Element, text: &str) {
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Picks the option of value `value` in the `<select>` at `css`.
async fn choose(page: &Page, css: &str, value: &str) {
    let select = page.find(Locator::Css(css)).await.unwrap();
    select.select_by_value(value).await.unwrap();
}

/// `text` with every run of white space as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first element matching `css`, waiting for one to be displayed.
async fn find(page: &Page, css: &str) -> Element {
    eventually(css, async || {
        displayed(page.find(Locator::Css(css)).await.ok()?).await
    })
    .await
}

/// Like [`find`], inside `parent`.
async fn find_in(parent: &Element, css: &str) -> Element {
    eventually(css, async || {
        displayed(parent.find(Locator::Css(css)).await.ok()?).await
    })
    .await
}

/// The button of `card` labelled `label`.
async fn button(card: &Element, label: &str) -> Element {
    let xpath = format!(".//button[normalize-space()='{label}']");
    eventually(label, async || {
        displayed(card.find(Locator::XPath(&xpath)).await.ok()?).await
    })
    .await
}

async fn displayed(element: Element) -> Option<Element> {
    element.is_displayed().await.ok()?.then_some(element)
}

/// Polls `check` until it gives a value, failing the test after [`PATIENCE`].
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
