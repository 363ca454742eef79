from inventory_service.models import Base
from shop_common.operations.migration_env import run_migrations

run_migrations("inventory", Base.metadata)
