# OpenCSMS ユーザーインターフェース：日本語

## ヘッダーとナビゲーション
nav-skip = 本文へ移動
nav-label = CSMS の領域
nav-not-built = この領域はまだ利用できません
nav-dashboard = ダッシュボード
nav-scope = 適用範囲
nav-assets = 資産とゾーン
nav-risks = リスク
nav-requirements = 要求事項と評価
nav-soa = 適用宣言書
nav-documents = 文書と証跡
nav-audits = 監査と是正処置
nav-trail = 変更履歴
nav-settings = 設定
nav-organization = 組織
nav-members = メンバー
nav-tokens = API トークン
header-organization = 組織を切り替える
header-language = 表示言語
header-account = アカウント
header-sign-out = サインアウト

## サインイン
signin-title = サインイン
signin-tagline = 産業用制御システムのためのサイバーセキュリティマネジメント
signin-username = ユーザー名
signin-password = パスワード
signin-submit = サインイン
signin-failed = ユーザー名またはパスワードが正しくありません。両方を確認して、もう一度お試しください。
signin-locked = 失敗が続いたため、一時的にサインインできません。数分待ってから再度お試しいただくか、管理者に連絡してください。

## ダッシュボード
dashboard-title = ダッシュボード
dashboard-lead = この組織の CSMS の状況を一覧できます。
dashboard-profile = 組織
dashboard-members = メンバー数
dashboard-recent = 最近の変更
dashboard-all-changes = すべての変更を見る

## 組織の項目
org-name = 名称
org-slug = 略称
org-timezone = タイムゾーン
org-description = 説明と CSMS の適用範囲

## 変更履歴
trail-title = 変更履歴
trail-lead = この組織で行われたすべての変更を、改ざんを検知できる連鎖として記録しています。
trail-verified = 連鎖の検証に成功しました。{ $count } 件すべての記録が改ざんされていません。
trail-broken = 連鎖の検証に失敗しました。変更前に取得したバックアップから復元し、原因を調査してください：
trail-empty = まだ変更は記録されていません。
trail-entity = 記録の種類
trail-any = すべて
trail-user = 実施者
trail-from = 開始日
trail-to = 終了日
trail-filter = 絞り込む
trail-when = 日時
trail-action = 操作
trail-change = 変更内容
pager-label = ページ
pager-older = さらに古い変更

## アカウント
account-title = アカウント
account-password = パスワード
account-must-change = 管理者が設定したパスワードでサインインしています。ご自身のパスワードに変更してください。
account-current-password = 現在のパスワード
account-new-password = 新しいパスワード
account-password-hint = 12 文字以上。複数の単語をつなげたパスフレーズがおすすめです。
account-change-password = パスワードを変更
account-preferences = 表示設定
account-language = 表示言語
account-language-auto = 自動（ブラウザの設定）
account-timezone = タイムゾーン
account-timezone-hint = Asia/Tokyo のような IANA 名。空欄の場合は組織のタイムゾーンを使います。
account-wrong-password = 現在のパスワードが正しくありません。
account-same-password = 新しいパスワードは現在のパスワードと異なるものにしてください。
account-password-invalid = 新しいパスワードは使用できません：{ $reason }
account-timezone-invalid = 「{ $zone }」はタイムゾーンとして認識できません。Asia/Tokyo のような IANA 名を入力してください。

## フォーム
form-save = 保存
form-version = 版 { $version }。他の人が先に保存した場合は、その変更を確認してから反映していただきます。
table-actions = 操作

## 組織の設定
settings-title = 組織の設定
settings-lead = メンバーに表示され、報告書にも記載される組織の情報です。

## メンバー
members-title = メンバー
members-lead = この組織の CSMS を利用できる人と、その役割です。
members-one-time-password = アカウントを作成しました。次の一時パスワードを本人に伝えてください。初回サインイン時に変更が必要です。表示されるのは今回だけです：
members-user = ユーザー名
members-name = 氏名
members-state = 状態
members-active = 有効
members-disabled = 無効
members-role = 役割
members-change-role = 変更
members-remove = 外す
members-add = メンバーを追加
members-add-hint = 既存のユーザー名を入力してください。新しいユーザー名と氏名を入力すると、アカウントを作成します。
members-name-hint = 新しいアカウントの場合のみ入力します。
members-add-submit = メンバーを追加
members-unknown-user = ユーザー「{ $user }」は存在しません。アカウントを作成する場合は、氏名も入力してください。

## API トークン
tokens-title = API トークン
tokens-lead = スクリプトがメンバーに代わって API を利用するためのトークンです。トークンごとにこの組織と一つの役割に限定されます。
tokens-created = トークンを作成しました。表示されるのは今回だけです。今すぐコピーしてください。
tokens-empty = API トークンはまだありません。
tokens-name = 用途
tokens-expires = 有効期限
tokens-last-used = 最終利用
tokens-revoke = 失効させる
tokens-new = 新しいトークン
tokens-read-only = 読み取り専用（閲覧者の役割）
tokens-days = 有効日数
tokens-create = トークンを作成
tokens-active = 有効
tokens-revoked = 失効
tokens-expired = 期限切れ
tokens-days-invalid = 有効日数は 1 日から 3650 日の範囲で指定してください。

## エラー
error-home = トップページへ戻る
error-not-found-title = 見つかりません
error-not-found = このページは存在しないか、その組織のメンバーではありません。
error-forbidden-title = 権限がありません
error-forbidden = この組織でのあなたの役割では、この操作は行えません。
error-csrf-title = 要求を受け付けられません
error-csrf = フォームの有効期限が切れたか、このサイト以外から送信されました。ページを再読み込みしてやり直してください。
error-internal = サーバーで問題が発生しました。詳細はサーバーのログに記録されています。
error-conflict = この間に他の人が変更しました（現在は版 { $version }）。下に表示した最新の内容を確認し、あなたの変更をもう一度反映してください。
error-invalid = 入力内容を修正してください：{ $reason }
error-duplicate = 「{ $value }」はすでに存在します。
error-missing = 「{ $id }」は存在しません。

## お知らせ
notice-saved = 保存しました。
notice-password-changed = パスワードを変更しました。他の端末のセッションは終了しました。
notice-member-added = メンバーを追加しました。
notice-member-removed = メンバーを外しました。この組織での API トークンは失効させました。
notice-role-changed = 役割を変更しました。
notice-token-revoked = トークンを失効させました。
notice-signed-out = サインアウトしました。
notice-session-expired = セッションの有効期限が切れました。もう一度サインインしてください。

## 役割
role-admin = 管理者
role-csms-manager = CSMS 責任者
role-contributor = 担当者
role-auditor = 監査員
role-viewer = 閲覧者

## 変更履歴の記録名
trail-more-fields = ほか { $count } 項目
trail-raw = 記録データ
kind-organization = 組織
kind-user = ユーザー
kind-membership = メンバー登録
kind-api-token = API トークン
action-create = 作成
action-update = 変更
action-delete = 削除
action-disable = 無効化
action-enable = 有効化
action-revoke = 失効
action-password-change = パスワード変更
action-sign-in = サインイン
action-sign-out = サインアウト
action-lockout = ロックアウト
