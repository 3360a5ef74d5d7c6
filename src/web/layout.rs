//! The look every page shares: the document, the header with the language
//! switcher and help, and the small pieces forms are made of. Markup is
//! maud's, so every value is escaped unless marked otherwise.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::i18n::Lang;
use super::page::Page;
use super::reasons::Said;

/// A whole page: `title` in the tab and as the heading, then `body`.
pub fn page(page: &Page, title: &str, body: Markup) -> Markup {
    let lang = page.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · " (page.product) }
                link rel="stylesheet" href=(super::assets::path("app.css"));
                script src=(super::assets::path("app.js")) defer {}
                script src=(super::assets::path("passkeys.js")) defer {}
            }
            body data-lang=(lang.tag()) {
                a class="skip" href="#main" { (lang.t("layout-skip")) }
                header class="top" {
                    a class="brand" href="/account" { (page.product) }
                    nav aria-label=(lang.t("layout-languages")) class="languages" {
                        ul {
                            @for other in Lang::ALL {
                                li {
                                    @if other == lang {
                                        span aria-current="true" lang=(other.tag()) { (other.native_name()) }
                                    } @else {
                                        a href=(page.switch_to(other)) lang=(other.tag()) hreflang=(other.tag()) { (other.native_name()) }
                                    }
                                }
                            }
                        }
                    }
                    a class="help" href="/help" { (lang.t("layout-help")) }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer class="bottom" {
                    @if page.signed_in {
                        form method="post" action="/sign-out" {
                            (csrf(page))
                            button class="link" type="submit" { (lang.t("layout-sign-out")) }
                        }
                    }
                    a href="/help" { (lang.t("layout-need-help")) }
                }
            }
        }
    }
}

/// The hidden field every form carries, checked on every POST.
pub fn csrf(page: &Page) -> Markup {
    html! { input type="hidden" name="csrf" value=(page.csrf); }
}

/// A refusal, announced to screen readers as soon as it appears: what
/// happened, then the one thing to do.
pub fn alert(lang: Lang, said: &Said) -> Markup {
    html! {
        div class="alert" role="alert" data-code=(said.code.as_str()) {
            p class="what" { (said.what_in(lang)) }
            p class="next" { (said.next_in(lang)) }
        }
    }
}

/// A place for alerts that stays empty without one, so scripts can fill it
/// and screen readers announce what they put there.
pub fn live_region(id: &str) -> Markup {
    html! { div id=(id) class="live" aria-live="assertive" {} }
}

/// A good-news line, announced politely.
pub fn notice(text: &str) -> Markup {
    html! { p class="notice" role="status" { (text) } }
}

/// One labelled input. The error, if any, is tied to it with
/// `aria-describedby` and marks it invalid.
pub struct Field<'a> {
    /// The input's `name` and `id`.
    pub name: &'a str,
    /// The visible label.
    pub label: String,
    /// `text`, `email`, `password`…
    pub kind: &'a str,
    /// The `autocomplete` token.
    pub autocomplete: &'a str,
    /// What the input holds already.
    pub value: Option<&'a str>,
    /// A hint under the label.
    pub hint: Option<String>,
    /// Why the value was refused, in the page's language.
    pub error: Option<String>,
    /// Whether the field must be filled.
    pub required: bool,
}

impl<'a> Field<'a> {
    /// A required field.
    pub fn new(name: &'a str, label: String, kind: &'a str, autocomplete: &'a str) -> Self {
        Self { name, label, kind, autocomplete, value: None, hint: None, error: None, required: true }
    }

    /// With this value.
    pub fn value(mut self, value: Option<&'a str>) -> Self {
        self.value = value;
        self
    }

    /// With this hint.
    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    /// With this error.
    pub fn error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    /// Not required.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// The label and input.
    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let described = [self.hint.as_ref().map(|_| hint_id.as_str()), self.error.as_ref().map(|_| error_id.as_str())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        html! {
            div class={ "field" @if self.error.is_some() { " invalid" } } {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = &self.hint { p id=(hint_id) class="hint" { (hint) } }
                // Announced when the page comes back with it (the page-level
                // alert stays quiet when a field is at fault); our script
                // then puts the focus on the first such field.
                @if let Some(error) = &self.error { p id=(error_id) class="field-error" role="alert" { (error) } }
                input id=(self.name) name=(self.name) type=(self.kind) autocomplete=(self.autocomplete)
                    value=[self.value] required[self.required]
                    aria-invalid=[self.error.as_ref().map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            }
        }
    }
}

/// A checklist: each step done or not, the first open one being the next action.
pub fn checklist(lang: Lang, steps: &[(String, bool, Option<String>)]) -> Markup {
    let next = steps.iter().position(|(_, done, _)| !done);
    html! {
        ol class="checklist" {
            @for (index, (label, done, link)) in steps.iter().enumerate() {
                li class={ @if *done { "done" } @else if Some(index) == next { "current" } @else { "todo" } }
                    aria-current=[(Some(index) == next).then_some("step")] {
                    span class="mark" aria-hidden="true" { @if *done { "✓" } @else { (index + 1) } }
                    @if *done {
                        span { (label) } span class="visually-hidden" { " — " (lang.t("checklist-done")) }
                    } @else if let Some(link) = link {
                        a href=(link) { (label) }
                    } @else {
                        span { (label) }
                    }
                }
            }
        }
    }
}

/// Text that may hold line breaks, as paragraphs.
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            p { (paragraph.trim()) }
        }
    }
}

/// Markup we made ourselves (an SVG QR code), not from input.
pub fn trusted(markup: String) -> PreEscaped<String> {
    PreEscaped(markup)
}
