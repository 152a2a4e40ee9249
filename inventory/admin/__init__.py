"""The inventory part of the staff console. Quantities change only through the services."""

from .catalogue import BinLocationAdmin, CategoryAdmin, ProductAdmin, TaxClassAdmin, WarehouseAdmin
from .purchasing import PurchaseOrderAdmin, SupplierAdmin
from .stock import StockLevelAdmin, StockMovementAdmin

__all__ = [
    "BinLocationAdmin",
    "CategoryAdmin",
    "ProductAdmin",
    "PurchaseOrderAdmin",
    "StockLevelAdmin",
    "StockMovementAdmin",
    "SupplierAdmin",
    "TaxClassAdmin",
    "WarehouseAdmin",
]
