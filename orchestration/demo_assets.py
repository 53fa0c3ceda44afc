"""The demo world as an asset: the stand-in for the vendors' systems, generated on demand."""

import dagster as dg

from demo_world.world import generate_world
from orchestration.settings import WarehouseResource

DEMO_WORLD_KEY = dg.AssetKey("demo_world")


class DemoWorldConfig(dg.Config):
    seed: int = 42
    scale: float = 1.0


@dg.asset(key=DEMO_WORLD_KEY, group_name="demo", kinds={"python"},
          description="A simulated B2B company's source systems (CRM, email, ads, web) with ground truth.")
def demo_world(context: dg.AssetExecutionContext, config: DemoWorldConfig,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
    summary = generate_world(warehouse.world_dir, seed=config.seed, scale=config.scale, crm=warehouse.crm,
                             progress=context.log.info)
    return dg.MaterializeResult(metadata={
        "seed": config.seed, "scale": config.scale, "crm": warehouse.crm, "path": str(summary.path),
        "rows": sum(summary.row_counts.values()),
    })
