"""CRM merge and the ICP update draft (issue 5): `analyse_crm` is the stage's entry point."""
from winloss.crm.analysis import CrmAnalysis, analyse_crm

__all__ = ["CrmAnalysis", "analyse_crm"]
