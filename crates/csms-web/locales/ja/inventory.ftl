## 資産台帳・ゾーン・コンジット（issue 5）

# 62443-3-3 評価の対象ゾーン
assessment-zone = 評価対象ゾーン
assessment-zone-none = ゾーンなし
assessment-zone-hint = IEC 62443-3-3 の評価のみ指定できます。その結果からゾーンの達成セキュリティレベル（SL-A）を求めます。
assessment-zone-invalid = 選択されたゾーンはこの組織のゾーンではありません。一覧から選んでください。

# エリア内ナビゲーション
inv-sections = 資産台帳の項目
inv-tab-assets = 資産
inv-tab-zones = ゾーン
inv-tab-conduits = コンジット
inv-tab-sites = サイトとシステム
inv-tab-diagram = 構成図

# 共通
inv-any = すべて
inv-yes = あり
inv-no = なし
inv-none = 登録されていません。
inv-edit = 編集
inv-delete = 削除
inv-select = 選択
inv-search = 検索
inv-risks = リスク
inv-not-declared = 未申告
inv-notice-saved = 保存しました。
inv-notice-deleted = 削除しました。
inv-notice-moved = 資産を移動しました。
inv-conflict = このレコードは開いた後に他の人が変更しました（現在のバージョンは { $version }）。入力内容は下に残してあります。最新の内容と見比べ、置き換える場合はもう一度保存してください。
inv-conflict-see = 最新のレコードを開く
inv-delete-confirm = { $name } を削除します（証跡には記録が残ります）

# 項目
inv-field-asset_tag = 資産番号
inv-field-name = 名称
inv-field-asset_type = 種別
inv-field-vendor = ベンダー
inv-field-product_family = 製品ファミリー
inv-field-model = 型式
inv-field-order_number = 注文番号
inv-field-firmware_version = ファームウェア／ソフトウェアのバージョン
inv-field-serial_number = シリアル番号
inv-field-purdue_level = パーデューレベル
inv-field-location = 設置場所
inv-field-interfaces = ネットワークインターフェース
inv-field-protocols = プロトコル
inv-field-criticality = 重要度
inv-field-owner_id = 管理責任者
inv-field-zone_id = ゾーン
inv-field-system_id = システム
inv-field-site_id = サイト
inv-field-lifecycle = ライフサイクル
inv-field-sl_c = 能力セキュリティレベル（SL-C）
inv-field-custom = カスタム項目
inv-field-sl = セキュリティレベル
inv-field-sl_t = 目標セキュリティレベル（SL-T）
inv-field-sl_t_justification = SL-T の根拠
inv-field-description = 説明
inv-field-channels = チャネル
inv-field-direction = 方向
inv-field-from_zone_id = 接続元ゾーン
inv-field-to_zone_id = 接続先ゾーン
inv-field-assets = 資産
inv-field-version = バージョン
inv-field-confirm = 確認
inv-field-q = 検索

# 資産種別・重要度・ライフサイクル・方向
inv-type-plc = PLC
inv-type-dcs_controller = DCS コントローラ
inv-type-safety_system = 安全計装システム（SIS）
inv-type-hmi = HMI
inv-type-engineering_workstation = エンジニアリングワークステーション
inv-type-historian = ヒストリアン
inv-type-server = サーバー
inv-type-network_switch = ネットワークスイッチ
inv-type-firewall = ファイアウォール
inv-type-rtu = RTU
inv-type-ied = IED
inv-type-remote_io = リモート I/O
inv-type-sensor_actuator = センサー／アクチュエーター
inv-type-other = その他
inv-crit-low = 低
inv-crit-medium = 中
inv-crit-high = 高
inv-crit-critical = 最重要
inv-life-planned = 計画中
inv-life-in_operation = 稼働中
inv-life-maintenance = 保守中
inv-life-decommissioned = 廃止
inv-dir-one_way = 一方向（接続元 → 接続先）
inv-dir-two_way = 双方向

# 構成図の階層（レベル 0、1、2、3、3.5、4、5 を 0〜6 に対応）
inv-purdue-0 = レベル 0 — プロセス
inv-purdue-1 = レベル 1 — 基本制御
inv-purdue-2 = レベル 2 — 監視制御
inv-purdue-3 = レベル 3 — サイト運用
inv-purdue-4 = レベル 3.5 — 産業用 DMZ
inv-purdue-5 = レベル 4 — 業務系
inv-purdue-6 = レベル 5 — 企業ネットワーク
inv-purdue-unknown = レベル不明

# 資産
inv-assets-title = 資産
inv-assets-lead = IACS の資産台帳です。機器ごとに OT の属性、設置場所、所属ゾーンを記録します。
inv-asset-new = 資産を追加
inv-asset-edit = 資産を編集
inv-asset-import = インポート
inv-export-csv = CSV 出力
inv-export-xlsx = XLSX 出力
inv-filter-q = 検索
inv-filter-q-placeholder = 資産番号、名称、ベンダー、型式、シリアル、IP、MAC
inv-filter-apply = 絞り込む
inv-filter-clear = 絞り込みを解除
inv-assets-shown = { $count } 件を表示
inv-assets-total = 組織全体で { $count } 件
inv-assets-empty = 資産はまだありません。追加するか、機器一覧を CSV または XLSX でインポートしてください。
inv-assets-none-match = 条件に一致する資産はありません。
inv-next-page = 次のページ →
inv-first-page = ← 最初のページ
inv-asset-identity = 識別情報
inv-asset-place = 配置と役割
inv-sl-c-below = 申告された SL-C がゾーンの SL-T を下回っている FR：
inv-sl-c-hint = FR1〜FR7 の 7 つのレベル（0〜4）をカンマ区切りで入力します（例：3,3,2,2,1,1,3）。未申告なら空欄にします。
inv-if-name = インターフェース
inv-if-hint = 1 行に 1 インターフェース。空の行は無視します。プロトコルはカンマ区切りです。
inv-protocols-hint = 資産が使うプロトコルをカンマ区切りで入力します（例：Modbus/TCP, OPC UA）。
inv-custom-hint = 1 行に 1 項目、「キー = 値」の形式で入力します。
inv-asset-new-in-zone = このゾーンに新しい資産を追加

# サイトとシステム
inv-sites-title = サイトとシステム
inv-sites-lead = 工場（サイト）と、そこで稼働する産業用オートメーション・制御システム（IACS）です。
inv-sites = サイト
inv-sites-empty = サイトはまだありません。
inv-site-new = サイトを追加
inv-site-create = サイトを作成
inv-systems = システム
inv-systems-empty = システムはまだありません。
inv-system-new = システムを追加
inv-system-create = システムを作成

# ゾーン
inv-zones-title = ゾーン
inv-zones-lead = ゾーンは同じセキュリティ要件を持つ資産のまとまりです（IEC 62443-3-2）。SL-A は各ゾーンの 62443-3-3 評価から求めます。
inv-zones-empty = ゾーンはまだありません。
inv-zone-new = ゾーンを追加
inv-zone-create = ゾーンを作成
inv-zone-edit = 名称・システム・説明を編集
inv-zone-delete = ゾーンを削除
inv-zone-crs = サイバーセキュリティ要求仕様（CRS）
inv-zone-propose = リスクから SL-T を提案
inv-zone-levels = 基本要件（FR）ごとのセキュリティレベル
inv-sl-t-per-fr = FR ごとの目標セキュリティレベル（SL-T）
inv-gap = ギャップ
inv-gap-open = SL-T 未達
inv-gap-none = SL-T 達成
inv-closing = ギャップを解消する要件
inv-proposed = 提案値
inv-override = 変更
inv-provisional = 暫定
inv-provisional-hint = 評価は実施中のため、承認されるまで SL-A は変わることがあります。
inv-approved = 承認済み
inv-sl-a-from = SL-A の算出元の評価：
inv-sl-a-unknown = 未評価
inv-no-assessment = このゾーンを対象とする IEC 62443-3-3 の評価がまだないため、達成レベル（SL-A）は不明です。このゾーンを評価対象として 62443-3-3 の評価を開始してください：
inv-no-assessment-link = 評価の一覧へ
inv-framework-missing = 評価のフレームワークがライブラリにないため SL-A を算出できません。フレームワークを再度インポートしてください。
inv-justification-hint = いずれかの FR で SL-T が提案値と異なる場合は必須です。理由（リスク評価の前提、補完的な対策、顧客の要求など）を記入してください。
inv-save-sl-t = SL-T を保存
inv-zone-assets = このゾーンの資産
inv-zone-assets-empty = このゾーンに資産はまだありません。
inv-zone-assets-all = このゾーンの資産をすべて表示
inv-zone-remove = チェックした資産をゾーンから外す
inv-zone-add = このゾーンに資産を追加
inv-zone-move-in = チェックした資産をこのゾーンに移動
inv-in-other-zone = 他のゾーンに所属
inv-below = SL-C が SL-T 未満：
inv-neighbours = このゾーンと隣接ゾーン
inv-asset-count = 資産: { $count } 件

# コンジット
inv-conduits-title = コンジット
inv-conduits-lead = コンジットはゾーン間の接続です。チャネルに、通過するプロトコル・ポート・方向を記録します。
inv-conduits-empty = コンジットはまだありません。
inv-conduit-new = コンジットを追加
inv-conduit-create = コンジットを作成
inv-conduit-edit = コンジットを編集
inv-conduit-delete = コンジットを削除
inv-conduit-needs-zones = 先にゾーンを 2 つ以上作成してください。
inv-channels-hint = 1 行に 1 チャネル。空の行は無視します。
inv-ch-protocol = プロトコル
inv-ch-port = ポート

# 構成図
inv-diagram-page = ゾーン・コンジット構成図
inv-diagram-lead = ゾーンをパーデューレベル（所属資産で最も多いレベル）ごとに配置しています。赤枠は SL-A が SL-T を下回るゾーンです。ゾーンをクリックすると詳細を開きます。
inv-diagram-download = SVG をダウンロード
inv-diagram-title = { $org } のゾーンとコンジット
inv-neighbours-title = { $zone } と隣接ゾーン
inv-in-use = 現在は実行できません：{ $reason }
