from payment_service.models import Base
from shop_common.operations.migration_env import run_migrations

run_migrations("payments", Base.metadata)
