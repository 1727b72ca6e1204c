//! The HTTP access log (AN-11), off unless `access_log` is set: one line per request on the
//! `portail::access` target with the client address masked to its /16 (IPv4) or /48 (IPv6), the
//! method, the path without its query string (which may hold search terms or an API key), the
//! status and the time taken. No header value (cookies, authorization, user agent) is written.

use crate::app::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

/// An address with what identifies a subscriber zeroed: the last two bytes of IPv4, all but the
/// first 48 bits of IPv6.
pub fn mask(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, 0, 0))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => mask(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address, when it is one (anything else is logged as `-`, never as given).
fn client(app: &AppState, req: &Request) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    crate::context::client_address(app.config.trusted_proxy, req.headers(), peer)?.parse().ok()
}

/// One log line's fields, everything else left out by construction.
pub fn line(ip: Option<IpAddr>, method: &str, path: &str, status: u16, millis: u128) -> String {
    let ip = ip.map_or_else(|| "-".to_owned(), |ip| mask(ip).to_string());
    format!("{ip} {method} {path} {status} {millis}ms")
}

pub async fn log(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !app.config.access_log {
        return next.run(req).await;
    }
    let ip = client(&app, &req);
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let entry = line(ip, &method, &path, response.status().as_u16(), started.elapsed().as_millis());
    tracing::info!(target: "portail::access", "{entry}");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_what_identifies_a_subscriber() {
        // spec: AN-11
        assert_eq!(mask("192.168.37.201".parse().unwrap()).to_string(), "192.168.0.0");
        assert_eq!(mask("2a01:e0a:1f3:8c20:1d3e:aa:bb:cc".parse().unwrap()).to_string(), "2a01:e0a:1f3::");
        assert_eq!(mask("::ffff:81.2.69.160".parse().unwrap()).to_string(), "81.2.0.0");
    }

    #[test]
    fn a_line_holds_no_query_and_no_full_address() {
        // spec: AN-11
        let l = line(Some("81.2.69.160".parse().unwrap()), "GET", "/explore/", 200, 3);
        assert_eq!(l, "81.2.0.0 GET /explore/ 200 3ms");
        assert_eq!(line(None, "POST", "/consent/", 303, 0), "- POST /consent/ 303 0ms");
    }
}
