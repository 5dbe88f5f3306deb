# OpenCSMS user interface: English.

## Header and navigation
nav-skip = Skip to content
nav-label = CSMS areas
nav-not-built = This area is not available yet
nav-dashboard = Dashboard
nav-scope = Scope
nav-assets = Assets & Zones
nav-risks = Risks
nav-requirements = Requirements & Assessments
nav-soa = Statement of Applicability
nav-documents = Documents & Evidence
nav-audits = Audits & Actions
nav-trail = Change trail
nav-settings = Settings
nav-organization = Organization
nav-members = Members
nav-tokens = API tokens
header-organization = Switch organization
header-language = Language
header-account = Account
header-sign-out = Sign out

## Sign-in
signin-title = Sign in
signin-tagline = Cyber security management for industrial control systems
signin-username = User name
signin-password = Password
signin-submit = Sign in
signin-failed = The user name or password is not right. Check both and try again.
signin-locked = Too many failed attempts. Wait a few minutes before trying again, or ask an administrator.

## Dashboard
dashboard-title = Dashboard
dashboard-lead = The state of this organization's CSMS at a glance.
dashboard-profile = Organization
dashboard-members = Members
dashboard-recent = Recent changes
dashboard-all-changes = All changes

## Organization fields
org-name = Name
org-slug = Short name
org-timezone = Time zone
org-description = Description and CSMS scope

## Trail
trail-title = Change trail
trail-lead = Every change in this organization, in a tamper-evident chain.
trail-verified = The chain verifies: all { $count } records are intact.
trail-broken = The chain does not verify. Restore a backup taken before the change and investigate:
trail-empty = No changes recorded yet.
trail-entity = Record type
trail-any = Any
trail-user = User
trail-from = From
trail-to = To
trail-filter = Filter
trail-when = When
trail-action = Action
trail-change = Change
pager-label = Pages
pager-older = Older changes

## Account
account-title = Your account
account-password = Password
account-must-change = Your password was set by an administrator. Choose your own now.
account-current-password = Current password
account-new-password = New password
account-password-hint = At least 12 characters. A passphrase of several words works well.
account-change-password = Change password
account-preferences = Preferences
account-language = Language
account-language-auto = Automatic (browser)
account-timezone = Time zone
account-timezone-hint = An IANA zone such as Asia/Tokyo. Empty: the organization's zone.
account-wrong-password = The current password is not right.
account-same-password = The new password must differ from the current one.
account-password-invalid = The new password cannot be used: { $reason }
account-timezone-invalid = "{ $zone }" is not a time zone. Use an IANA name such as Asia/Tokyo.

## Forms
form-save = Save
form-version = Version { $version }. If someone else saves first, you will be asked to review their change.
table-actions = Actions

## Settings
settings-title = Organization settings
settings-lead = The profile shown to members and printed in reports.

## Members
members-title = Members
members-lead = Who may use this organization's CSMS, and with which role.
members-one-time-password = Account created. Give the user this one-time password; they must change it at first sign-in. It is shown only now:
members-user = User name
members-name = Name
members-state = State
members-active = Active
members-disabled = Disabled
members-role = Role
members-change-role = Change
members-remove = Remove
members-add = Add a member
members-add-hint = Enter an existing user name, or a new one with a name to create the account.
members-name-hint = Only for a new account.
members-add-submit = Add member
members-unknown-user = There is no user "{ $user }". To create the account, also enter the person's name.

## API tokens
tokens-title = API tokens
tokens-lead = Tokens let scripts use the API on behalf of a member. Each is tied to this organization and one role.
tokens-created = Token created. Copy it now: it is shown only once.
tokens-empty = No API tokens yet.
tokens-name = Purpose
tokens-expires = Expires
tokens-last-used = Last used
tokens-revoke = Revoke
tokens-new = New token
tokens-read-only = Read-only (viewer role)
tokens-days = Valid for (days)
tokens-create = Create token
tokens-active = Active
tokens-revoked = Revoked
tokens-expired = Expired
tokens-days-invalid = The validity must be between 1 and 3650 days.

## Errors
error-home = Back to the start page
error-not-found-title = Not found
error-not-found = There is no such page, or you are not a member of its organization.
error-forbidden-title = Not permitted
error-forbidden = Your role in this organization does not allow this.
error-csrf-title = Request refused
error-csrf = The form expired or did not come from this site. Reload the page and try again.
error-internal = Something went wrong on the server. The details are in the server log.
error-conflict = Someone else changed this in the meantime (now version { $version }). Their change is shown below: review it and apply yours again.
error-invalid = Please correct the input: { $reason }
error-duplicate = "{ $value }" already exists.
error-missing = "{ $id }" does not exist.

## Notices
notice-saved = Saved.
notice-password-changed = Your password was changed. Your other sessions have ended.
notice-member-added = Member added.
notice-member-removed = Member removed. Their API tokens for this organization were revoked.
notice-role-changed = Role changed.
notice-token-revoked = Token revoked.
notice-signed-out = You have signed out.
notice-session-expired = Your session expired. Please sign in again.

## Roles
role-admin = Administrator
role-csms-manager = CSMS manager
role-contributor = Contributor
role-auditor = Auditor
role-viewer = Viewer

## Trail record names
trail-more-fields = and { $count } more fields
trail-raw = Recorded data
kind-organization = Organization
kind-user = User
kind-membership = Membership
kind-api-token = API token
action-create = Created
action-update = Changed
action-delete = Removed
action-disable = Disabled
action-enable = Enabled
action-revoke = Revoked
action-password-change = Password changed
action-sign-in = Signed in
action-sign-out = Signed out
action-lockout = Locked out
