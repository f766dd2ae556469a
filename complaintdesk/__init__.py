"""complaintdesk: the domain core of the complaint front desk. Never imports textual."""

__version__ = "0.1.0"
