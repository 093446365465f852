//! The review inbox in a real browser (headless Chromium): a gated function's request appears
//! live, its details are shown as text, the JSON editor refuses bad JSON, and an edited approval
//! reaches the function. Saves a screenshot of the inbox to `target/inbox.png`; copy it to
//! `docs/inbox.png` when the page changes.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`apt-get install chromium chromium-driver`).

mod browser;
mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use browser::with_browser;
use cheqpoint::{ApprovalRequest, Client, Error, Trace, checkpoint};
use cheqpoint_emulator::{Emulator, Status};
use common::{KEY, client_with_timeout};
use fantoccini::elements::Element;
use fantoccini::{Client as Page, Locator};
use serde_json::json;

/// A details value that would run script if the page parsed it as HTML.
const XSS: &str = "<img src=x onerror=alert(1)>";

const REVIEW_TOKEN: &str = "inbox-test-token";

/// How long any one thing may take to show up.
const PATIENCE: Duration = Duration::from_secs(10);

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

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_edits_and_approves_in_the_inbox() {
    with_browser(|page: Page| async move {
        let emulator = Emulator::builder()
            .api_key(KEY)
            .review_token(REVIEW_TOKEN)
            .auto_approve_below(0.1)
            .start()
            .await
            .unwrap();
        let client = client_with_timeout(&emulator, Duration::from_secs(20));
        // Decided by a rule at once, so that the decided list is not empty from the start.
        client
            .request_async(
                ApprovalRequest::new("read_calendar", "Read next week's calendar")
                    .details(json!({"week": 48}))
                    .risk(0.05),
            )
            .await
            .unwrap();

        page.goto(&emulator.inbox_url()).await.unwrap();
        find(&page, "#connection[data-state='live']").await;

        let sent = AtomicUsize::new(0);
        let call = send_email(
            &client,
            &sent,
            "ada@example.com".into(),
            "Quarterly report".into(),
            XSS.into(),
        );
        let review = async {
            let request = emulator.next_pending_timeout(PATIENCE).await.unwrap();
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
        for shown in ["approved", "edited", "changed: subject", "a reviewer"] {
            assert!(text.contains(shown), "{shown:?} in {text:?}");
        }
        eventually("the card to leave the pending list", async || {
            let left = page.find_all(Locator::Css("#pending .card")).await.ok()?;
            left.is_empty().then_some(())
        })
        .await;

        // A request's review URL opens the inbox on it; it carries no token, which the page
        // remembers from its first visit.
        let refund = client.create_request(&refund_request()).await.unwrap();
        let review_url = format!("{}/#/approvals/{}", emulator.url(), refund.id);
        page.goto(&review_url).await.unwrap();
        find(
            &page,
            &format!("#pending .focused[data-id='{}']", refund.id),
        )
        .await;
        find(&page, "#pending .trace .step").await;
        save_screenshot(&page).await;
    })
    .await;
}

/// Checks that the card shows its details as text, then edits the subject: first to bad JSON,
/// which must be refused on the page, then to good JSON, approved.
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

    let edited =
        json!({"to": "ada@example.com", "subject": "Quarterly report (final)", "body": XSS});
    editor.clear().await.unwrap();
    editor.send_keys(&edited.to_string()).await.unwrap();
    button(card, "Approve with these details")
        .await
        .click()
        .await
        .unwrap();
}

/// A request with a risk, the agent's reasoning and its trace.
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

/// The whole inbox as it looks now (the window grown to the page's height), kept in
/// `target/inbox.png` (not in the tracked `docs/`, so running the tests leaves the tree clean).
async fn save_screenshot(page: &Page) {
    let height = page
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight",
            vec![],
        )
        .await
        .unwrap();
    let height = u32::try_from(height.as_u64().unwrap()).unwrap();
    page.set_window_size(1280, height).await.unwrap();
    let png = page.screenshot().await.unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("inbox.png"), png).unwrap();
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
