"""Order review (审单): the automatic rules (rules.py with the checks of names, phones and
addresses in their own modules), the batch review of paid orders and the reviewers'
decisions (services.py)."""
