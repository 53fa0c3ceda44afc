"""What the Salesforce connector reads: SObjects, their cursor field, and the API version."""

from dataclasses import dataclass, field

API_VERSION = "v59.0"
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
CLIENT_ID_VARIABLE = "SALESFORCE_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "SALESFORCE_CLIENT_SECRET"
USERNAME_VARIABLE = "SALESFORCE_USERNAME"  # with SALESFORCE_PASSWORD: the username-password flow
PASSWORD_VARIABLE = "SALESFORCE_PASSWORD"
LOGIN_URL_VARIABLE = "SALESFORCE_LOGIN_URL"
CREDENTIAL_VARIABLES = f"{CLIENT_ID_VARIABLE}, {CLIENT_SECRET_VARIABLE} (and {USERNAME_VARIABLE}/{PASSWORD_VARIABLE})"

# Compound and binary fields cannot be read flat through SOQL on every edition: skip them.
SKIPPED_FIELD_TYPES = {"address", "location", "base64"}


@dataclass(frozen=True)
class SObject:
    name: str
    table: str
    cursor_field: str = "SystemModstamp"  # field history objects only have CreatedDate


OBJECTS: list[SObject] = [
    SObject("Lead", "lead"),
    SObject("Contact", "contact"),
    SObject("Account", "account"),
    SObject("Opportunity", "opportunity"),
    SObject("OpportunityHistory", "opportunity_history"),
    SObject("OpportunityContactRole", "opportunity_contact_role"),
    SObject("Campaign", "campaign"),
    SObject("CampaignMember", "campaign_member"),
    SObject("Task", "task"),
    SObject("Event", "event"),
    SObject("User", "user"),
    SObject("LeadHistory", "lead_history", cursor_field="CreatedDate"),
    SObject("ContactHistory", "contact_history", cursor_field="CreatedDate"),
]
# Picklists whose values land in the picklist_values table.
PICKLISTS = [("Lead", "Status"), ("Opportunity", "StageName"), ("Lead", "Lifecycle_Stage__c"),
             ("Contact", "Lifecycle_Stage__c")]


@dataclass(frozen=True)
class SalesforceSettings:
    login_url: str = DEFAULT_LOGIN_URL
    # Fields to read per SObject; an object not listed gets every field its describe lists,
    # read at the start of the run (so new fields become columns, removed ones stop).
    fields: dict[str, list[str]] = field(default_factory=dict)
    initial_modstamp: str = "1970-01-01T00:00:00Z"
    batch_size: int = 2000
