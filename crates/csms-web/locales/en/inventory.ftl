## Inventory, zones and conduits (issue 5)

# The zone of a 62443-3-3 assessment
assessment-zone = Zone assessed
assessment-zone-none = No zone
assessment-zone-hint = Only for IEC 62443-3-3 assessments: its results give the zone's achieved security level (SL-A).
assessment-zone-invalid = The zone chosen is not one of this organization's zones; pick one from the list.
