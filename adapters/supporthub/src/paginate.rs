//! Laravel's length-aware paginator envelope (`links`, `meta`), built the way Laravel builds it:
//! absolute URLs that keep the query string, and the `UrlWindow` of page links (3 on each side).

use crate::wire::{Links, Meta, PageLink};

/// What a page request asked for, and what the list answered.
pub struct PageInfo<'a> {
    /// Absolute URL of the collection, without query string.
    pub path: &'a str,
    /// The request's query pairs (kept in every link, `page` replaced).
    pub query: &'a [(String, String)],
    pub current_page: u64,
    pub per_page: u64,
    pub total: u64,
    /// How many items this page holds.
    pub count: u64,
}

const ON_EACH_SIDE: u64 = 3;

impl PageInfo<'_> {
    fn last_page(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    /// `path?<query with page=n>`: existing parameters keep their place, `page` is replaced or appended.
    pub fn url(&self, page: u64) -> String {
        let mut pairs: Vec<(String, String)> = self.query.to_vec();
        match pairs.iter_mut().find(|(k, _)| k == "page") {
            Some(slot) => slot.1 = page.to_string(),
            None => pairs.push(("page".into(), page.to_string())),
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_else(|_| format!("page={page}"));
        format!("{}?{}", self.path, query)
    }

    /// Laravel's `links`.
    pub fn links(&self) -> Links {
        let last = self.last_page();
        Links {
            first: self.url(1),
            last: self.url(last),
            prev: (self.current_page > 1).then(|| self.url(self.current_page - 1)),
            next: (self.current_page < last).then(|| self.url(self.current_page + 1)),
        }
    }

    /// Laravel's `meta`, with its `links` window.
    pub fn meta(&self) -> Meta {
        let from = (self.count > 0).then(|| (self.current_page - 1) * self.per_page + 1);
        Meta {
            current_page: self.current_page,
            from,
            last_page: self.last_page(),
            links: self.window_links(),
            path: self.path.to_owned(),
            per_page: self.per_page,
            to: from.map(|f| f + self.count - 1),
            total: self.total,
        }
    }

    /// The page numbers (`None` for a "..." gap), as Laravel's `UrlWindow` picks them.
    fn window(&self) -> Vec<Option<u64>> {
        let (current, last) = (self.current_page, self.last_page());
        let range = |a: u64, b: u64| (a.max(1)..=b.min(last)).map(Some).collect::<Vec<_>>();
        if last < ON_EACH_SIDE * 2 + 8 {
            return range(1, last);
        }
        let window = ON_EACH_SIDE + 4;
        let parts = if current <= window {
            vec![range(1, window + ON_EACH_SIDE), range(last - 1, last)]
        } else if current > last - window {
            vec![range(1, 2), range(last - (window + ON_EACH_SIDE - 1), last)]
        } else {
            vec![
                range(1, 2),
                range(current - ON_EACH_SIDE, current + ON_EACH_SIDE),
                range(last - 1, last),
            ]
        };
        parts.join(&None)
    }

    fn window_links(&self) -> Vec<PageLink> {
        let links = self.links();
        let mut out = vec![PageLink {
            url: links.prev,
            label: "&laquo; Previous".into(),
            active: false,
        }];
        out.extend(self.window().into_iter().map(|page| match page {
            Some(p) => PageLink {
                url: Some(self.url(p)),
                label: p.to_string(),
                active: p == self.current_page,
            },
            None => PageLink {
                url: None,
                label: "...".into(),
                active: false,
            },
        }));
        out.push(PageLink {
            url: links.next,
            label: "Next &raquo;".into(),
            active: false,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        query: &[(&str, &str)],
        current_page: u64,
        total: u64,
        count: u64,
    ) -> (Vec<(String, String)>, u64, u64, u64) {
        (
            query
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            current_page,
            total,
            count,
        )
    }

    fn page<'a>(
        q: &'a [(String, String)],
        current_page: u64,
        total: u64,
        count: u64,
    ) -> PageInfo<'a> {
        PageInfo {
            path: "http://h/api/agents",
            query: q,
            current_page,
            per_page: 15,
            total,
            count,
        }
    }

    #[test]
    fn urls_keep_the_query_and_replace_page() {
        let (q, ..) = info(
            &[("filter[email]", "a b"), ("page", "2"), ("per_page", "15")],
            2,
            40,
            15,
        );
        let p = page(&q, 2, 40, 15);
        assert_eq!(
            p.url(3),
            "http://h/api/agents?filter%5Bemail%5D=a+b&page=3&per_page=15"
        );
        let l = p.links();
        assert_eq!((l.prev.is_some(), l.next.is_some()), (true, true));
        let m = p.meta();
        assert_eq!((m.from, m.to, m.last_page), (Some(16), Some(30), 3));
    }

    #[test]
    fn empty_and_past_the_end() {
        let q = vec![];
        let m = page(&q, 1, 0, 0).meta();
        assert_eq!((m.from, m.to, m.last_page, m.total), (None, None, 1, 0));
        let labels: Vec<_> = m.links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["&laquo; Previous", "1", "Next &raquo;"]);
        let past = page(&q, 9, 20, 0);
        assert_eq!(
            (
                past.meta().from,
                past.links().next,
                past.links().prev.is_some()
            ),
            (None, None, true)
        );
    }

    #[test]
    fn url_window_matches_laravel() {
        let q = vec![];
        let labels = |current, total| {
            page(&q, current, total, 15)
                .meta()
                .links
                .iter()
                .skip(1)
                .rev()
                .skip(1)
                .rev()
                .map(|l| l.label.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(labels(1, 15 * 13), "1,2,3,4,5,6,7,8,9,10,11,12,13");
        assert_eq!(labels(1, 15 * 20), "1,2,3,4,5,6,7,8,9,10,...,19,20");
        assert_eq!(labels(10, 15 * 20), "1,2,...,7,8,9,10,11,12,13,...,19,20");
        assert_eq!(labels(18, 15 * 20), "1,2,...,11,12,13,14,15,16,17,18,19,20");
    }
}
