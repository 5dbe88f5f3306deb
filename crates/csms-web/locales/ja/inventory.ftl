## 資産台帳・ゾーン・コンジット（issue 5）

# 62443-3-3 評価の対象ゾーン
assessment-zone = 評価対象ゾーン
assessment-zone-none = ゾーンなし
assessment-zone-hint = IEC 62443-3-3 の評価のみ指定できます。その結果からゾーンの達成セキュリティレベル（SL-A）を求めます。
assessment-zone-invalid = 選択されたゾーンはこの組織のゾーンではありません。一覧から選んでください。
