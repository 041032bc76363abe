//! The demo accounts (SPEC.md): `admin`, `vpcp`, `lanhdao`, and a reporter and an approver for
//! every province and ministry valid today — `hanoi`/`hanoi-lead`, `hcm`/`hcm-lead`,
//! `btc`/`btc-lead`, … Every password is `demo`.

use baocao_domain::Date;
use baocao_domain::agency::{AgencyCode, AgencyDirectory, AgencyKind, AgencyLevel};
use baocao_domain::user::{Role, RoleGrant, Username};
use baocao_store::credentials::hash_password;
use baocao_store::users::NewUser;

use crate::{SeedError, bad};

/// A short login name for an agency: `hanoi` for "Ha Noi City", `hcm` for Hồ Chí Minh City,
/// the lower-cased code for a ministry.
fn slug(code: &AgencyCode, name_en: &str, kind: AgencyKind) -> String {
    if kind.level() == AgencyLevel::Ministry {
        return code.as_str().to_lowercase();
    }
    if name_en == "Ho Chi Minh City" {
        return "hcm".into();
    }
    name_en
        .trim_end_matches(" City")
        .trim_end_matches(" Province")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

/// (username, agency code, Vietnamese agency name, role description) of every demo account
/// for agencies valid on `today`.
pub fn demo_usernames(
    directory: &AgencyDirectory,
    today: Date,
) -> Vec<(String, AgencyCode, String, &'static str)> {
    let hierarchy = directory.hierarchy_as_of(today);
    let mut names = Vec::new();
    for (code, state) in hierarchy.iter() {
        let level = state.kind.level();
        if !matches!(level, AgencyLevel::Province | AgencyLevel::Ministry)
            || code.as_str() == "VPCP"
        {
            continue;
        }
        let slug = slug(code, &state.name_en, state.kind);
        names.push((
            slug.clone(),
            code.clone(),
            state.name_vi.clone(),
            "reporter",
        ));
        names.push((
            format!("{slug}-lead"),
            code.clone(),
            state.name_vi.clone(),
            "approver, reviewer",
        ));
    }
    names
}

/// The title of the head of `agency` (chức danh người đứng đầu), as its reports are signed.
fn head_of(directory: &AgencyDirectory, agency: &AgencyCode, today: Date) -> Option<String> {
    use baocao_domain::agency::AgencyKind;
    let hierarchy = directory.hierarchy_as_of(today);
    let (_, state) = hierarchy.iter().find(|(code, _)| *code == agency)?;
    Some(
        match state.kind {
            AgencyKind::Province | AgencyKind::City | AgencyKind::Commune => "Chủ tịch",
            AgencyKind::Ministry => "Bộ trưởng",
            AgencyKind::Department => "Giám đốc",
            AgencyKind::Government | AgencyKind::MinisterialAgency => return None,
        }
        .into(),
    )
}

pub(crate) fn demo_users(
    directory: &AgencyDirectory,
    today: Date,
) -> Result<Vec<NewUser>, SeedError> {
    // One hash for every demo account: they share the password `demo`, and argon2 is slow on
    // purpose. Real accounts each get their own salt.
    let password_hash = hash_password("demo")?;
    let code = |c: &str| AgencyCode::new(c).map_err(|e| bad("users", e));
    let grant = |role, agency: &AgencyCode, subtree| RoleGrant {
        role,
        agency: agency.clone(),
        subtree,
    };
    let user = |name: &str,
                full_name: String,
                agency: &AgencyCode,
                grants: Vec<RoleGrant>|
     -> Result<NewUser, SeedError> {
        Ok(NewUser {
            username: Username::new(name).map_err(|e| bad("users", e))?,
            password_hash: password_hash.clone(),
            full_name,
            position: None,
            // Demo addresses on a reserved domain (RFC 2606): nothing leaves a demo.
            email: Some(format!("{name}@baocao.example")),
            agency: agency.clone(),
            grants,
        })
    };
    let vn = code("VN")?;
    let vpcp = code("VPCP")?;
    let mut users = vec![
        user(
            "admin",
            "Quản trị hệ thống".into(),
            &vn,
            Role::ALL.iter().map(|r| grant(*r, &vn, true)).collect(),
        )?,
        user(
            "vpcp",
            "Chuyên viên Văn phòng Chính phủ".into(),
            &vpcp,
            vec![grant(Role::Reviewer, &vpcp, false)],
        )?,
        user(
            "lanhdao",
            "Lãnh đạo Chính phủ".into(),
            &vn,
            vec![grant(Role::Viewer, &vn, true)],
        )?,
    ];
    for (name, agency, agency_name, _) in demo_usernames(directory, today) {
        let (full_name, grants) = if name.ends_with("-lead") {
            (
                format!("Lãnh đạo {agency_name}"),
                vec![
                    grant(Role::Approver, &agency, false),
                    grant(Role::Reviewer, &agency, false),
                ],
            )
        } else {
            (
                format!("Cán bộ nhập liệu {agency_name}"),
                vec![grant(Role::Reporter, &agency, false)],
            )
        };
        let mut new = user(&name, full_name, &agency, grants)?;
        if name.ends_with("-lead") {
            // The head of the agency signs its reports.
            new.position = head_of(directory, &agency, today);
        }
        users.push(new);
    }
    Ok(users)
}
