package handlers

import "github.com/gin-gonic/gin"

// The dashboard, the order list and its CSV export, notifications and the
// audit log: to be written.

func (s *Server) adminDashboard(c *gin.Context)     { s.fail(c, errNoMethod) }
func (s *Server) adminOrders(c *gin.Context)        { s.fail(c, errNoMethod) }
func (s *Server) adminOrdersCSV(c *gin.Context)     { s.fail(c, errNoMethod) }
func (s *Server) adminNotifications(c *gin.Context) { s.fail(c, errNoMethod) }
func (s *Server) adminAudit(c *gin.Context)         { s.fail(c, errNoMethod) }
