## Inventory, zones and conduits (issue 5)

# The zone of a 62443-3-3 assessment
assessment-zone = Zone assessed
assessment-zone-none = No zone
assessment-zone-hint = Only for IEC 62443-3-3 assessments: its results give the zone's achieved security level (SL-A).
assessment-zone-invalid = The zone chosen is not one of this organization's zones; pick one from the list.

# Area navigation
inv-sections = Inventory sections
inv-tab-assets = Assets
inv-tab-zones = Zones
inv-tab-conduits = Conduits
inv-tab-sites = Sites and systems
inv-tab-diagram = Diagram

# Shared words
inv-any = Any
inv-yes = Yes
inv-no = No
inv-none = None recorded.
inv-edit = Edit
inv-delete = Delete
inv-select = Select
inv-search = Search
inv-risks = Risks
inv-not-declared = not declared
inv-notice-saved = Saved.
inv-notice-deleted = Deleted.
inv-notice-moved = The assets were moved.
inv-conflict = Someone changed this record since you opened it (it is now at version { $version }). Your input is kept below: compare it with the current record and save again to replace it.
inv-conflict-see = Open the current record
inv-delete-confirm = Yes, delete { $name } for good (the trail keeps a record of it)

# Fields
inv-field-asset_tag = Asset tag
inv-field-name = Name
inv-field-asset_type = Type
inv-field-vendor = Vendor
inv-field-product_family = Product family
inv-field-model = Model
inv-field-order_number = Order number
inv-field-firmware_version = Firmware / software version
inv-field-serial_number = Serial number
inv-field-purdue_level = Purdue level
inv-field-location = Location
inv-field-interfaces = Network interfaces
inv-field-protocols = Protocols
inv-field-criticality = Criticality
inv-field-owner_id = Owner
inv-field-zone_id = Zone
inv-field-system_id = System
inv-field-site_id = Site
inv-field-lifecycle = Lifecycle
inv-field-sl_c = Capability security level (SL-C)
inv-field-custom = Custom fields
inv-field-sl = Security level
inv-field-sl_t = Target security level (SL-T)
inv-field-sl_t_justification = Justification of SL-T
inv-field-description = Description
inv-field-channels = Channels
inv-field-direction = Direction
inv-field-from_zone_id = From zone
inv-field-to_zone_id = To zone
inv-field-assets = Assets
inv-field-version = Version
inv-field-confirm = Confirmation
inv-field-q = Search

# Asset types, criticality, lifecycle, direction
inv-type-plc = PLC
inv-type-dcs_controller = DCS controller
inv-type-safety_system = Safety system (SIS)
inv-type-hmi = HMI
inv-type-engineering_workstation = Engineering workstation
inv-type-historian = Historian
inv-type-server = Server
inv-type-network_switch = Network switch
inv-type-firewall = Firewall
inv-type-rtu = RTU
inv-type-ied = IED
inv-type-remote_io = Remote I/O
inv-type-sensor_actuator = Sensor / actuator
inv-type-other = Other
inv-crit-low = Low
inv-crit-medium = Medium
inv-crit-high = High
inv-crit-critical = Critical
inv-life-planned = Planned
inv-life-in_operation = In operation
inv-life-maintenance = Under maintenance
inv-life-decommissioned = Decommissioned
inv-dir-one_way = One-way (from → to)
inv-dir-two_way = Two-way

# Purdue levels as diagram bands (0 to 6 for levels 0, 1, 2, 3, 3.5, 4, 5)
inv-purdue-0 = Level 0 — Process
inv-purdue-1 = Level 1 — Basic control
inv-purdue-2 = Level 2 — Supervisory control
inv-purdue-3 = Level 3 — Site operations
inv-purdue-4 = Level 3.5 — Industrial DMZ
inv-purdue-5 = Level 4 — Business logistics
inv-purdue-6 = Level 5 — Enterprise
inv-purdue-unknown = Level not known

# Assets
inv-assets-title = Assets
inv-assets-lead = The IACS inventory: every device with its OT attributes, where it sits and which zone holds it.
inv-asset-new = New asset
inv-asset-edit = Edit asset
inv-asset-import = Import
inv-export-csv = Export CSV
inv-export-xlsx = Export XLSX
inv-filter-q = Search
inv-filter-q-placeholder = Tag, name, vendor, model, serial, IP or MAC
inv-filter-apply = Filter
inv-filter-clear = Clear the filters
inv-assets-shown = { $count } shown
inv-assets-total = { $count } assets in the organization
inv-assets-empty = No assets yet. Add one, or import the device list as CSV or XLSX.
inv-assets-none-match = No asset matches these filters.
inv-next-page = Next page →
inv-first-page = ← First page
inv-asset-identity = Identity
inv-asset-place = Place and role
inv-sl-c-below = Its declared SL-C is below the zone's SL-T in:
inv-sl-c-hint = Seven levels 0 to 4 for FR1 to FR7, e.g. 3,3,2,2,1,1,3; leave empty when not declared.
inv-if-name = Interface
inv-if-hint = One row per interface; empty rows are ignored. Protocols separated by commas.
inv-protocols-hint = Protocols the asset speaks, separated by commas (e.g. Modbus/TCP, OPC UA).
inv-custom-hint = One field per line as key = value.
inv-asset-new-in-zone = Create a new asset in this zone

# Sites and systems
inv-sites-title = Sites and systems
inv-sites-lead = The plants and the industrial automation and control systems (IACS) they run.
inv-sites = Sites
inv-sites-empty = No sites yet.
inv-site-new = New site
inv-site-create = Create the site
inv-systems = Systems
inv-systems-empty = No systems yet.
inv-system-new = New system
inv-system-create = Create the system

# Zones
inv-zones-title = Zones
inv-zones-lead = Zones group assets with the same security requirements (IEC 62443-3-2); SL-A comes from each zone's 62443-3-3 assessment.
inv-zones-empty = No zones yet.
inv-zone-new = New zone
inv-zone-create = Create the zone
inv-zone-edit = Edit name, system and description
inv-zone-delete = Delete the zone
inv-zone-crs = Cybersecurity requirements (CRS)
inv-zone-propose = Propose SL-T from risks
inv-zone-levels = Security levels per foundational requirement
inv-sl-t-per-fr = Target security level (SL-T) per FR
inv-gap = Gap
inv-gap-open = Gap to SL-T
inv-gap-none = Meets SL-T
inv-closing = What closes the gap
inv-proposed = Proposed
inv-override = changed
inv-provisional = provisional
inv-provisional-hint = The assessment is still in progress, so this SL-A may change until it is approved.
inv-approved = approved
inv-sl-a-from = SL-A comes from the assessment
inv-sl-a-unknown = not assessed
inv-no-assessment = No IEC 62443-3-3 assessment names this zone yet, so its achieved level (SL-A) is not known. Start a 62443-3-3 assessment with this zone as its scope:
inv-no-assessment-link = go to the assessments
inv-framework-missing = The assessment's framework is no longer in the library, so SL-A cannot be computed; import the framework again.
inv-justification-hint = Required when SL-T differs from the proposal in any FR: say why (risk assumptions, a compensating control, a customer requirement).
inv-save-sl-t = Save SL-T
inv-zone-assets = Assets in this zone
inv-zone-assets-empty = No assets in this zone yet.
inv-zone-assets-all = Show all assets of this zone
inv-zone-remove = Remove the ticked assets from the zone
inv-zone-add = Add assets to this zone
inv-zone-move-in = Move the ticked assets into this zone
inv-in-other-zone = in another zone
inv-below = SL-C below SL-T:
inv-neighbours = The zone and its neighbours
inv-asset-count = Assets: { $count }

# Conduits
inv-conduits-title = Conduits
inv-conduits-lead = Conduits connect zones; their channels name the protocols, ports and directions that cross.
inv-conduits-empty = No conduits yet.
inv-conduit-new = New conduit
inv-conduit-create = Create the conduit
inv-conduit-edit = Edit the conduit
inv-conduit-delete = Delete the conduit
inv-conduit-needs-zones = Create at least two zones first.
inv-channels-hint = One row per channel; empty rows are ignored.
inv-ch-protocol = Protocol
inv-ch-port = Port

# Diagram
inv-diagram-page = Zone and conduit diagram
inv-diagram-lead = Zones by Purdue level (the most common level of their assets); a red border marks SL-A below SL-T. Click a zone to open it.
inv-diagram-download = Download SVG
inv-diagram-title = Zones and conduits of { $org }
inv-neighbours-title = { $zone } and its neighbouring zones
inv-in-use = This cannot be done now: { $reason }
