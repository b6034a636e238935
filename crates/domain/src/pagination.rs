//! Page and page size of every list: page from 1, 10 items by default, at most 50.

use crate::validation::ValidationErrors;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 50;
/// Far past any real catalogue; keeps offsets small and the documented range honest.
pub const MAX_PAGE: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: u32,
    pub limit: u32,
}

impl Pagination {
    pub fn parse(page: Option<u32>, limit: Option<u32>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push("page", format!("must be between 1 and {MAX_PAGE}"));
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push("limit", format!("must be between 1 and {MAX_LIMIT}"));
        }
        if errors.is_empty() {
            Ok(Self { page, limit })
        } else {
            Err(errors)
        }
    }

    pub fn offset(self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.limit)
    }

    pub fn total_pages(self, total: i64) -> i64 {
        let limit = i64::from(self.limit);
        (total + limit - 1) / limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_page_one_of_ten() {
        let page = Pagination::parse(None, None).unwrap();
        assert_eq!((page.page, page.limit, page.offset()), (1, 10, 0));
    }

    #[test]
    fn offset_and_page_count_follow_the_limit() {
        let page = Pagination::parse(Some(3), Some(20)).unwrap();
        assert_eq!(page.offset(), 40);
        assert_eq!(page.total_pages(0), 0);
        assert_eq!(page.total_pages(40), 2);
        assert_eq!(page.total_pages(41), 3);
    }

    #[test]
    fn page_zero_and_limits_out_of_range_are_refused() {
        let fields = |page, limit| {
            Pagination::parse(page, limit)
                .unwrap_err()
                .into_fields()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(Some(0), Some(0)), ["page", "limit"]);
        assert_eq!(fields(None, Some(51)), ["limit"]);
        assert_eq!(fields(Some(MAX_PAGE + 1), None), ["page"]);
        assert!(Pagination::parse(None, Some(50)).is_ok());
    }
}
