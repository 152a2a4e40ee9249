"""The storefront's views. They translate HTTP into service and selector calls, nothing more.

Every successful POST redirects (Post/Redirect/Get); a form with errors is shown again with what
was typed, the errors beside the fields and a summary at the top.
"""
