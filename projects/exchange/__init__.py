"""Exchange with the city's approval system (工程建设项目审批管理系统) through its staging database (前置库)
in the national SPGL data standard: docs/exchange.md."""
