"""CRM merge and the ICP update draft: `analyse_crm` is the stage's entry point.

Importing the package is cheap (the settings schema lives in crm/settings.py); pandas and scipy load with the
analysis."""


def __getattr__(name: str):
    if name == "analyse_crm":
        from winloss.crm.analysis import analyse_crm

        return analyse_crm
    if name == "CrmAnalysis":
        from winloss.crm.result import CrmAnalysis

        return CrmAnalysis
    raise AttributeError(f"module 'winloss.crm' has no attribute {name!r}")
