//! A vendor's chat widget on the support page: the script to load, and the
//! sources that page's content security policy must then allow. Only the
//! support page loads a widget, so only its policy is widened.

use url::Url;

use super::IntegrationKind;
use crate::domain::is_this_machine;

/// Where Zendesk's messaging widget loads its code from.
const ZENDESK_SCRIPTS: &[&str] = &["https://static.zdassets.com", "https://ekr.zdassets.com"];
/// What Zendesk's widget talks to and shows, as Zendesk documents for sites
/// with a content security policy.
const ZENDESK_SOURCES: &[&str] = &[
    "https://ekr.zendesk.com",
    "https://*.zendesk.com",
    "wss://*.zendesk.com",
    "https://accounts.zendesk.com",
    "https://api.smooch.io",
    "wss://api.smooch.io",
    "https://media.smooch.io",
    "https://*.zdusercontent.com",
    "https://static.zdassets.com",
];

/// Where Intercom's Messenger loads its code from.
const INTERCOM_SCRIPTS: &[&str] =
    &["https://widget.intercom.io", "https://js.intercomcdn.com", "https://app.intercom.io"];
/// What Intercom's Messenger talks to and shows, as Intercom documents for
/// sites that list sources rather than use nonces.
const INTERCOM_SOURCES: &[&str] = &[
    "https://api-iam.intercom.io",
    "https://api-iam.eu.intercom.io",
    "https://api-iam.au.intercom.io",
    "https://api-ping.intercom.io",
    "https://*.intercom-messenger.com",
    "wss://*.intercom-messenger.com",
    "https://nexus-websocket-a.intercom.io",
    "wss://nexus-websocket-a.intercom.io",
    "https://nexus-websocket-b.intercom.io",
    "wss://nexus-websocket-b.intercom.io",
    "https://uploads.intercomcdn.com",
    "https://uploads.intercomusercontent.com",
    "https://downloads.intercomcdn.com",
    "https://static.intercomassets.com",
    "https://gifs.intercomcdn.com",
    "https://fonts.intercomcdn.com",
    "https://js.intercomcdn.com",
];

/// A vendor's chat widget that the support page loads and signs in with
/// the integration's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpWidget {
    /// The script the vendor's snippet loads.
    pub script: Url,
    /// Intercom's app id, the last segment of its script's path.
    pub app_id: Option<String>,
    /// Where code may come from: the script's origin, and for a known
    /// vendor the hosts its script loads the rest of its code from. Kept
    /// apart so a host the vendor's customers can put files on (a help
    /// centre under `*.zendesk.com`) never becomes a script source.
    pub script_sources: Vec<String>,
    /// What the widget may connect to, frame and show: the vendor's
    /// documented list and the settings' `widget_sources`.
    pub sources: Vec<String>,
}

/// A content-security-policy host source we are willing to write into a
/// header: `https://host`, `wss://*.host:port`; plain `http`/`ws` only for
/// `localhost` and `127.0.0.1` (the loopback names a policy can write).
/// Nothing that could end the directive or add a keyword, no empty label,
/// and a wildcard only under a name of two labels or more: `*.com` would
/// open the widget's connections to half the web.
fn is_host_source(text: &str) -> bool {
    let Some((scheme, host)) = text.split_once("://") else { return false };
    let (wildcard, host) = match host.strip_prefix("*.") {
        Some(under) => (true, under),
        None => (false, host),
    };
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let labels: Vec<&str> = name.split('.').collect();
    let name_ok = name.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && (!wildcard || labels.len() >= 2);
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()));
    let local = !wildcard && (name == "localhost" || name == "127.0.0.1");
    let scheme_ok = matches!(scheme, "https" | "wss") || (matches!(scheme, "http" | "ws") && local);
    scheme_ok && name_ok && port_ok
}

fn add_new(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

impl HelpWidget {
    /// The widget of an integration of `kind`, from its settings.
    pub(super) fn new(kind: IntegrationKind, script: &str, extra: Vec<String>) -> Result<Self, String> {
        let script: Url = script.parse().map_err(|e| format!("`widget_script` is not a URL: {e}"))?;
        if !(script.scheme() == "https" || (script.scheme() == "http" && is_this_machine(&script))) {
            return Err("`widget_script` must be an https URL".into());
        }
        if !script.username().is_empty() || script.password().is_some() {
            return Err("`widget_script` must not carry credentials".into());
        }
        // The origin goes into the policy as it is: one host, nothing more.
        let origin = script.origin().ascii_serialization();
        if origin.contains('*') || !is_host_source(&origin) {
            return Err(format!(
                "`widget_script` host `{origin}` cannot be named in a content security policy \
                 (plain http only for localhost or 127.0.0.1)"
            ));
        }
        let app_id = match kind {
            IntegrationKind::Intercom => {
                let id = script.path_segments().and_then(|mut segments| segments.next_back()).unwrap_or_default();
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(
                        "`widget_script` for `intercom` is https://widget.intercom.io/widget/<your app id>".into()
                    );
                }
                Some(id.to_owned())
            }
            IntegrationKind::ZendeskSso => {
                return Err("`widget_script` does not apply to `zendesk_sso`, which signs in to the help centre".into());
            }
            IntegrationKind::Jwt | IntegrationKind::ZendeskMessaging | IntegrationKind::Hmac => None,
        };
        if let Some(bad) = extra.iter().find(|source| !is_host_source(source)) {
            return Err(format!("`widget_sources` entry `{bad}`: write an origin such as https://*.example.com"));
        }
        let (vendor_scripts, vendor_sources): (&[&str], &[&str]) = match kind {
            IntegrationKind::ZendeskMessaging => (ZENDESK_SCRIPTS, ZENDESK_SOURCES),
            IntegrationKind::Intercom => (INTERCOM_SCRIPTS, INTERCOM_SOURCES),
            IntegrationKind::Jwt | IntegrationKind::Hmac | IntegrationKind::ZendeskSso => (&[], &[]),
        };
        let mut script_sources = vec![origin.clone()];
        add_new(&mut script_sources, vendor_scripts.iter().map(|s| (*s).to_owned()));
        let mut sources = vec![origin];
        add_new(&mut sources, vendor_sources.iter().map(|s| (*s).to_owned()).chain(extra));
        Ok(Self { script, app_id, script_sources, sources })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;

    #[test]
    fn a_widget_names_its_script_and_every_source_it_needs() {
        let zendesk = parse(
            "name = \"zendesk\"\nkind = \"zendesk_messaging\"\nkey_id = \"app_1\"\n\
             widget_script = \"https://static.zdassets.com/ekr/snippet.js?key=abc\"\n\
             widget_sources = [\"https://*.example.com\"]",
        )
        .unwrap();
        let widget = zendesk.widget.unwrap();
        assert_eq!(widget.script_sources, ["https://static.zdassets.com", "https://ekr.zdassets.com"]);
        // A help centre's host (customers upload files there) is never a script source.
        assert!(widget.sources.contains(&"https://*.zendesk.com".to_owned()));
        assert!(widget.sources.contains(&"wss://*.zendesk.com".to_owned()));
        assert!(widget.sources.contains(&"https://*.example.com".to_owned()));
        assert_eq!(widget.sources.iter().filter(|s| *s == "https://static.zdassets.com").count(), 1);

        let intercom =
            parse("name = \"chat\"\nkind = \"intercom\"\nwidget_script = \"https://widget.intercom.io/widget/abc123\"")
                .unwrap();
        assert_eq!(intercom.widget.unwrap().app_id.as_deref(), Some("abc123"));
        let local = parse("name = \"w\"\nkind = \"jwt\"\nwidget_script = \"http://127.0.0.1:9/w.js\"").unwrap();
        let local = local.widget.unwrap();
        assert_eq!(
            (local.script_sources, local.sources),
            (vec!["http://127.0.0.1:9".to_owned()], vec!["http://127.0.0.1:9".to_owned()])
        );

        for (text, says) in [
            ("kind = \"jwt\"\nwidget_script = \"http://example.com/w.js\"", "https URL"),
            ("kind = \"jwt\"\nwidget_script = \"https://u:p@example.com/w.js\"", "credentials"),
            ("kind = \"jwt\"\nwidget_script = \"https://*/w.js\"", "cannot be named"),
            ("kind = \"jwt\"\nwidget_script = \"https://*.example.com/w.js\"", "cannot be named"),
            ("kind = \"jwt\"\nwidget_script = \"https://a;b/w.js\"", "cannot be named"),
            ("kind = \"jwt\"\nwidget_script = \"https://a,b/w.js\"", "cannot be named"),
            ("kind = \"intercom\"\nwidget_script = \"https://widget.intercom.io/widget/\"", "app id"),
            ("kind = \"zendesk_sso\"\nwidget_script = \"https://example.com/w.js\"", "help centre"),
            ("kind = \"jwt\"\nwidget_sources = [\"https://a.example\"]", "needs `widget_script`"),
            (
                "kind = \"jwt\"\nwidget_script = \"https://e.com/w.js\"\nwidget_sources = [\"https://a.example; script-src *\"]",
                "origin such as",
            ),
            (
                "kind = \"jwt\"\nwidget_script = \"https://e.com/w.js\"\nwidget_sources = [\"'unsafe-eval'\"]",
                "origin such as",
            ),
            (
                "kind = \"jwt\"\nwidget_script = \"https://e.com/w.js\"\nwidget_sources = [\"http://evil.example\"]",
                "origin such as",
            ),
            ("kind = \"jwt\"\nwidget_script = \"http://app.localhost/w.js\"", "only for localhost or 127.0.0.1"),
        ] {
            let err = parse(&format!("name = \"w\"\n{text}")).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        // A wildcard over a whole top-level domain, an empty label or port:
        // refused; a vendor's subdomains, a port: fine.
        for bad in [
            "https://*.com",
            "wss://*.com:443",
            "https://:443",
            "https://*..",
            "https://a..b",
            "https://a.b:",
            "https://a.b:x",
        ] {
            let text = format!("kind = \"jwt\"\nwidget_script = \"https://e.com/w.js\"\nwidget_sources = [\"{bad}\"]");
            let err = parse(&format!("name = \"w\"\n{text}")).unwrap_err();
            assert!(err.contains("origin such as"), "{bad}: {err}");
        }
        for good in
            ["https://*.example.com", "wss://chat.example.com:8443", "http://localhost:3000", "ws://127.0.0.1:9"]
        {
            let text = format!("kind = \"jwt\"\nwidget_script = \"https://e.com/w.js\"\nwidget_sources = [\"{good}\"]");
            assert!(parse(&format!("name = \"w\"\n{text}")).is_ok(), "{good}");
        }
    }
}
