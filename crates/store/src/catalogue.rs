//! The indicator catalogue: disaggregation categories with their options, and indicators.

use std::collections::HashMap;

use baocao_domain::indicator::{Category, CategoryOption, Indicator, IndicatorCode};
use baocao_domain::text::search_key;

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

#[derive(sqlx::FromRow)]
struct IndicatorRow {
    id: i32,
    code: String,
    name_vi: String,
    name_en: String,
    unit_vi: String,
    unit_en: String,
    value_type: String,
    aggregation: String,
    frequency: Option<String>,
    group_vi: String,
    definition_vi: String,
}

#[derive(sqlx::FromRow)]
struct OptionRow {
    category: String,
    category_vi: String,
    category_en: String,
    code: Option<String>,
    name_vi: Option<String>,
    name_en: Option<String>,
}

const SELECT_INDICATORS: &str = "
    SELECT id, code, name_vi, name_en, unit_vi, unit_en, value_type, aggregation, frequency, group_vi, definition_vi
    FROM indicators";

impl Store {
    /// Writes categories with their options, all or nothing.
    pub async fn insert_categories(
        &self,
        categories: &[Category],
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let mut audited = self.begin(audit).await?;
        on_tx!(audited, tx => {
            for category in categories {
                let id: i32 = sqlx::query_scalar("INSERT INTO categories (code, name_vi, name_en) VALUES ($1, $2, $3) RETURNING id")
                    .bind(category.code())
                    .bind(&category.name_vi)
                    .bind(&category.name_en)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::on_unique(e, || format!("category {}", category.code())))?;
                for (position, option) in category.options().iter().enumerate() {
                    sqlx::query("INSERT INTO category_options (category_id, position, code, name_vi, name_en) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id)
                        .bind(position as i32)
                        .bind(&option.code)
                        .bind(&option.name_vi)
                        .bind(&option.name_en)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        });
        let codes: Vec<&str> = categories.iter().map(|c| c.code()).collect();
        audited.note(
            "category.create",
            format!("categories ({})", codes.len()),
            None,
            serde_json::json!({ "categories": codes }),
        );
        audited.commit().await?;
        self.raise_catalogue_generation().await
    }

    pub async fn categories(&self) -> Result<Vec<Category>, StoreError> {
        const SQL: &str = "
            SELECT c.code AS category, c.name_vi AS category_vi, c.name_en AS category_en,
                   o.code, o.name_vi, o.name_en
            FROM categories c LEFT JOIN category_options o ON o.category_id = c.id
            ORDER BY c.code, o.position";
        let rows: Vec<OptionRow> = on_db!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        let mut categories: Vec<(String, String, String, Vec<CategoryOption>)> = Vec::new();
        for row in rows {
            if categories.last().is_none_or(|c| c.0 != row.category) {
                categories.push((
                    row.category.clone(),
                    row.category_vi,
                    row.category_en,
                    Vec::new(),
                ));
            }
            if let (Some(code), Some(name_vi), Some(name_en), Some(last)) =
                (row.code, row.name_vi, row.name_en, categories.last_mut())
            {
                last.3.push(CategoryOption {
                    code,
                    name_vi,
                    name_en,
                });
            }
        }
        categories
            .into_iter()
            .map(|(code, vi, en, options)| {
                Category::new(code, vi, en, options).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// Writes indicators (their categories must exist), all or nothing.
    pub async fn insert_indicators(
        &self,
        indicators: &[Indicator],
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        self.import_indicators(indicators, &[], audit).await
    }

    /// Creates `created` and rewrites the names, units, frequency, group and definition of
    /// `updated` (existing codes; their meaning — type, aggregation, disaggregation — is kept),
    /// all or nothing.
    pub async fn import_indicators(
        &self,
        created: &[Indicator],
        updated: &[Indicator],
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let key = |indicator: &Indicator| {
            search_key(&format!(
                "{} {} {}",
                indicator.code(),
                indicator.name_vi,
                indicator.name_en
            ))
        };
        let mut audited = self.begin(audit).await?;
        on_tx!(audited, tx => {
            let category_ids: HashMap<String, i32> = sqlx::query_as::<_, (String, i32)>("SELECT code, id FROM categories")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
            for indicator in created {
                let id: i32 = sqlx::query_scalar(
                    "INSERT INTO indicators (code, name_vi, name_en, search_key, unit_vi, unit_en, value_type, aggregation, frequency, group_vi, definition_vi)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(indicator.code().as_str())
                .bind(&indicator.name_vi)
                .bind(&indicator.name_en)
                .bind(key(indicator))
                .bind(&indicator.unit_vi)
                .bind(&indicator.unit_en)
                .bind(indicator.value_type().as_str())
                .bind(indicator.aggregation().as_str())
                .bind(indicator.frequency.map(|f| f.as_str()))
                .bind(&indicator.group_vi)
                .bind(&indicator.definition_vi)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, || format!("indicator {}", indicator.code())))?;
                for (position, category) in indicator.disaggregation.iter().enumerate() {
                    let category_id = category_ids
                        .get(category)
                        .ok_or_else(|| StoreError::NotFound(format!("category {category}")))?;
                    sqlx::query("INSERT INTO indicator_categories (indicator_id, category_id, position) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(category_id)
                        .bind(position as i32)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for indicator in updated {
                let done = sqlx::query(
                    "UPDATE indicators SET name_vi = $2, name_en = $3, search_key = $4, unit_vi = $5, unit_en = $6,
                        frequency = $7, group_vi = $8, definition_vi = $9
                     WHERE code = $1",
                )
                .bind(indicator.code().as_str())
                .bind(&indicator.name_vi)
                .bind(&indicator.name_en)
                .bind(key(indicator))
                .bind(&indicator.unit_vi)
                .bind(&indicator.unit_en)
                .bind(indicator.frequency.map(|f| f.as_str()))
                .bind(&indicator.group_vi)
                .bind(&indicator.definition_vi)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done != 1 {
                    return Err(StoreError::NotFound(format!("indicator {}", indicator.code())));
                }
            }
        });
        let codes = |list: &[Indicator]| -> Vec<String> {
            list.iter().map(|i| i.code().to_string()).collect()
        };
        audited.note(
            "indicator.import",
            format!("indicators ({})", created.len() + updated.len()),
            None,
            serde_json::json!({ "created": codes(created), "updated": codes(updated) }),
        );
        audited.commit().await?;
        self.raise_catalogue_generation().await
    }

    /// Indicators ordered by code; `query` matches code and names without diacritics.
    pub async fn indicators(&self, query: Option<&str>) -> Result<Vec<Indicator>, StoreError> {
        let pattern = crate::search_pattern(query);
        let sql =
            format!("{SELECT_INDICATORS} WHERE ($1 = '' OR search_key LIKE $1) ORDER BY code");
        let rows: Vec<IndicatorRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(pattern).fetch_all(pool).await?);
        self.indicators_from_rows(rows).await
    }

    pub async fn indicator(&self, code: &IndicatorCode) -> Result<Option<Indicator>, StoreError> {
        let sql = format!("{SELECT_INDICATORS} WHERE code = $1");
        let rows: Vec<IndicatorRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(code.as_str()).fetch_all(pool).await?);
        Ok(self.indicators_from_rows(rows).await?.pop())
    }

    async fn indicators_from_rows(
        &self,
        rows: Vec<IndicatorRow>,
    ) -> Result<Vec<Indicator>, StoreError> {
        const LINKS: &str = "
            SELECT ic.indicator_id, c.code FROM indicator_categories ic
            JOIN categories c ON c.id = ic.category_id ORDER BY ic.indicator_id, ic.position";
        let links: Vec<(i32, String)> =
            on_db!(self, pool => sqlx::query_as(LINKS).fetch_all(pool).await?);
        let mut by_indicator: HashMap<i32, Vec<String>> = HashMap::new();
        for (indicator_id, category) in links {
            by_indicator.entry(indicator_id).or_default().push(category);
        }
        let corrupt = |what: &str, text: &str| StoreError::Corrupt(format!("{what} {text:?}"));
        rows.into_iter()
            .map(|row| {
                Indicator::new(
                    IndicatorCode::new(row.code.clone())
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    row.name_vi,
                    row.name_en,
                    row.unit_vi,
                    row.unit_en,
                    row.value_type
                        .parse()
                        .map_err(|t: String| corrupt("value type", &t))?,
                    row.aggregation
                        .parse()
                        .map_err(|t: String| corrupt("aggregation", &t))?,
                    row.frequency
                        .map(|f| f.parse().map_err(|t: String| corrupt("frequency", &t)))
                        .transpose()?,
                    by_indicator.remove(&row.id).unwrap_or_default(),
                    row.group_vi,
                    row.definition_vi,
                )
                .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }
}
