from shipping_service.models import Base
from shop_common.persistence.migration_env import run_migrations

run_migrations("shipping", Base.metadata)
